# authgate's own pages: templates and brand, the sessions page, form tokens.
list(APPEND GATEWAY_SOURCES pages.cc sessions_page.cc user_agent.cc csrf.cc)
