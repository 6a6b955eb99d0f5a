// A browser-like HTTP client over fetch: cookie jar, redirects followed by hand (and
// recorded), HTML forms filled and submitted, self-posting forms (response_mode
// form_post, logout confirmations) auto-submitted as a browser would.
// It only ever talks to loopback hosts: a redirect elsewhere stops the chain.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s) {
  return String(s).replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

export function parseAttributes(tagText) {
  const attrs = {};
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const inner = tagText.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  let m;
  while ((m = re.exec(inner)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Forms of an HTML page: [{id, name, action, method, fields:[{name,value,type}], buttons}] */
export function parseForms(html, baseUrl) {
  const forms = [];
  const formRe = /<form\b[^>]*>([\s\S]*?)<\/form\s*>/gi;
  let m;
  while ((m = formRe.exec(html)) !== null) {
    const attrs = parseAttributes(m[0].slice(0, m[0].indexOf('>') + 1));
    const body = m[1].replace(/<!--[\s\S]*?-->/g, '');
    const fields = [];
    const buttons = [];
    const controlRe = /<(input|button|textarea|select)\b[^>]*>([\s\S]*?<\/\1\s*>)?/gi;
    let c;
    while ((c = controlRe.exec(body)) !== null) {
      const tag = c[1].toLowerCase();
      const a = parseAttributes(c[0].slice(0, c[0].indexOf('>') + 1));
      if ('disabled' in a) continue;
      if (tag === 'button' || (tag === 'input' && ['submit', 'image'].includes(a.type))) {
        buttons.push({ id: a.id, name: a.name, value: a.value ?? '', type: a.type ?? 'submit' });
        continue;
      }
      if (!a.name) continue;
      if (tag === 'textarea') {
        const text = /<textarea\b[^>]*>([\s\S]*?)<\/textarea/i.exec(c[0])?.[1] ?? '';
        fields.push({ name: a.name, value: decodeEntities(text), type: 'textarea', id: a.id });
      } else if (tag === 'select') {
        const opts = [...(c[0].matchAll(/<option\b[^>]*>/gi))].map((o) => parseAttributes(o[0]));
        const chosen = opts.find((o) => 'selected' in o) ?? opts[0];
        fields.push({ name: a.name, value: chosen?.value ?? '', type: 'select', id: a.id });
      } else {
        const type = (a.type ?? 'text').toLowerCase();
        if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
        if (type === 'file' || type === 'reset') continue;
        fields.push({ name: a.name, value: a.value ?? (type === 'checkbox' ? 'on' : ''), type, id: a.id });
      }
    }
    forms.push({
      id: attrs.id,
      name: attrs.name,
      action: new URL(attrs.action || baseUrl, baseUrl).href,
      method: (attrs.method || 'get').toUpperCase(),
      enctype: attrs.enctype || 'application/x-www-form-urlencoded',
      fields,
      buttons,
    });
  }
  return forms;
}

/** A page that submits its first form on load (form_post responses, logout confirmations). */
export function isSelfPostingPage(html) {
  return /<form\b/i.test(html)
    && /(forms\[0\]|getElementById\([^)]*\)|querySelector\([^)]*\)|\bform\b)\.submit\(\)/.test(html);
}

const isLoopback = (url) => {
  const h = new URL(url).hostname;
  return h === '127.0.0.1' || h === 'localhost' || h === '[::1]' || h.startsWith('127.');
};

// Schemeless "site" of RFC 6265bis s5.2: ports do not matter, so every 127.0.0.1
// service of a test is same-site with every other.
const siteOf = (url) => `${new URL(url).protocol}//${new URL(url).hostname}`;

export class CookieJar {
  constructor() {
    this.cookies = [];
  }

  setFromResponse(url, setCookieHeaders) {
    const u = new URL(url);
    for (const header of setCookieHeaders) this.#setOne(u, header);
  }

  #setOne(u, header) {
    const [pair, ...attrParts] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      domain: u.hostname,
      hostOnly: true,
      path: defaultPath(u.pathname),
      secure: false,
      httpOnly: false,
      sameSite: 'lax', // browsers' default when the attribute is absent
      expires: undefined,
    };
    let maxAge;
    for (const part of attrParts) {
      const i = part.indexOf('=');
      const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
      const v = i < 0 ? '' : part.slice(i + 1).trim();
      if (k === 'domain' && v) {
        const d = v.replace(/^\./, '').toLowerCase();
        if (d !== u.hostname && !u.hostname.endsWith(`.${d}`)) return; // foreign domain: reject
        cookie.domain = d;
        cookie.hostOnly = false;
      } else if (k === 'path' && v.startsWith('/')) {
        cookie.path = v;
      } else if (k === 'secure') {
        cookie.secure = true;
      } else if (k === 'httponly') {
        cookie.httpOnly = true;
      } else if (k === 'samesite') {
        cookie.sameSite = v.toLowerCase();
      } else if (k === 'max-age' && /^-?\d+$/.test(v)) {
        maxAge = Number(v);
      } else if (k === 'expires') {
        const t = Date.parse(v);
        if (!Number.isNaN(t)) cookie.expires = t;
      }
    }
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000; // Max-Age wins
    if (cookie.secure && u.protocol !== 'https:') return; // RFC 6265bis s5.7 step 8
    if (cookie.name.startsWith('__Host-') && (!cookie.secure || !cookie.hostOnly || cookie.path !== '/')) return;
    if (cookie.name.startsWith('__Secure-') && !cookie.secure) return;
    if (cookie.sameSite === 'none' && !cookie.secure) return;
    this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain
      && c.path === cookie.path));
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.cookies.push(cookie);
  }

  /** Cookies to send to url; `context` = {site, topLevel, method} of the navigation. */
  matching(url, context = {}) {
    const u = new URL(url);
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    const crossSite = context.site !== undefined && context.site !== siteOf(url);
    return this.cookies.filter((c) => {
      if (c.hostOnly ? u.hostname !== c.domain
        : !(u.hostname === c.domain || u.hostname.endsWith(`.${c.domain}`))) return false;
      if (!pathMatches(u.pathname, c.path)) return false;
      if (c.secure && u.protocol !== 'https:') return false;
      if (crossSite) {
        if (c.sameSite === 'strict') return false;
        if (c.sameSite === 'lax' && !(context.topLevel && context.method === 'GET')) return false;
      }
      return true;
    }).sort((a, b) => b.path.length - a.path.length);
  }

  header(url, context) {
    return this.matching(url, context).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  get(name, url) {
    return this.cookies.find((c) => c.name === name && (!url || this.matching(url).includes(c)));
  }

  delete(name) {
    this.cookies = this.cookies.filter((c) => c.name !== name);
  }

  clear() {
    this.cookies = [];
  }
}

function defaultPath(pathname) {
  if (!pathname.startsWith('/')) return '/';
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(reqPath, cookiePath) {
  if (reqPath === cookiePath) return true;
  if (!reqPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/';
}

export class Browser {
  constructor({ maxRedirects = 20, userAgent = 'authgate-test-browser/1', autoSubmit = true, timeoutMs = 15000 } = {}) {
    this.jar = new CookieJar();
    this.maxRedirects = maxRedirects;
    this.userAgent = userAgent;
    this.autoSubmit = autoSubmit;
    this.timeoutMs = timeoutMs;
    this.history = []; // every request made: {method, url, status, location}
  }

  /** One request, no redirect following. Returns {status, url, headers, text, json()}. */
  async fetchOnce(url, {
    method = 'GET', headers = {}, body, site, topLevel = true, accept = 'text/html,application/xhtml+xml',
  } = {}) {
    const h = new Headers({ 'user-agent': this.userAgent, accept, ...headers });
    const cookie = this.jar.header(url, { site, topLevel, method });
    if (cookie && !h.has('cookie')) h.set('cookie', cookie);
    if (site && method !== 'GET' && method !== 'HEAD' && !h.has('origin')) h.set('origin', new URL(site).origin);
    const res = await fetch(url, {
      method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs),
    });
    this.jar.setFromResponse(url, res.headers.getSetCookie());
    const text = await res.text();
    const location = res.headers.get('location');
    const entry = { method, url, status: res.status, location: location ?? undefined };
    this.history.push(entry);
    return {
      status: res.status,
      url,
      headers: res.headers,
      location: location ? new URL(location, url).href : undefined,
      text,
      json: () => JSON.parse(text),
      forms: () => parseForms(text, url),
    };
  }

  /**
   * A navigation: follows 3xx and self-posting forms like a browser.
   * Resolves to the last response plus `chain` (the steps) and `stoppedAt` (a
   * non-loopback Location that was not followed).
   */
  async request(url, {
    method = 'GET', headers = {}, body, form, follow = true, accept, site,
  } = {}) {
    let reqBody = body;
    const reqHeaders = { ...headers };
    if (form) {
      reqBody = new URLSearchParams(form).toString();
      reqHeaders['content-type'] = 'application/x-www-form-urlencoded';
    }
    const chain = [];
    let current = { url, method, body: reqBody, headers: reqHeaders, site };
    for (let hop = 0; ; hop += 1) {
      const res = await this.fetchOnce(current.url, {
        method: current.method, headers: current.headers, body: current.body, site: current.site, accept,
      });
      chain.push({ method: current.method, url: current.url, status: res.status, location: res.location });
      res.chain = chain;
      if (!follow) return res;
      if (hop >= this.maxRedirects) throw new Error(`too many redirects: ${chain.map((c) => c.url).join(' -> ')}`);
      const fromSite = siteOf(current.url);
      if ([301, 302, 303, 307, 308].includes(res.status) && res.location) {
        if (!isLoopback(res.location)) {
          res.stoppedAt = res.location;
          return res;
        }
        const keep = res.status === 307 || res.status === 308;
        current = {
          url: res.location,
          method: keep ? current.method : 'GET',
          body: keep ? current.body : undefined,
          headers: keep ? current.headers : {},
          site: fromSite,
        };
        continue;
      }
      const ctype = res.headers.get('content-type') ?? '';
      if (this.autoSubmit && res.status < 400 && ctype.includes('html') && isSelfPostingPage(res.text)) {
        const [f] = res.forms();
        const next = buildSubmission(f, {});
        if (!isLoopback(next.url)) {
          res.stoppedAt = next.url;
          return res;
        }
        current = { ...next, site: fromSite };
        continue;
      }
      return res;
    }
  }

  get(url, opts = {}) {
    return this.request(url, { ...opts, method: 'GET' });
  }

  post(url, form, opts = {}) {
    return this.request(url, { ...opts, method: 'POST', form });
  }

  /**
   * Fill and submit a form of `page` (a response of this Browser).
   * `which`: form id, or a predicate over parsed forms; `values` override fields;
   * `submitter`: button id whose name=value is sent (default: the first button).
   */
  async submit(page, which, values = {}, { submitter, follow = true } = {}) {
    const forms = page.forms();
    const form = typeof which === 'function' ? forms.find(which)
      : forms.find((f) => f.id === which || f.name === which) ?? (which === undefined ? forms[0] : undefined);
    if (!form) throw new Error(`form ${which} not found on ${page.url} (status ${page.status})`);
    const next = buildSubmission(form, values, submitter);
    return this.request(next.url, {
      method: next.method, body: next.body, headers: next.headers, follow, site: siteOf(page.url),
    });
  }

  cookieHeader(url) {
    return this.jar.header(url);
  }
}

export function buildSubmission(form, values = {}, submitterId) {
  const params = new URLSearchParams();
  const overridden = new Set();
  for (const f of form.fields) {
    if (Object.hasOwn(values, f.name)) {
      if (!overridden.has(f.name)) params.append(f.name, values[f.name]);
      overridden.add(f.name);
    } else {
      params.append(f.name, f.value);
    }
  }
  for (const [k, v] of Object.entries(values)) if (!overridden.has(k)) params.append(k, v);
  const button = submitterId ? form.buttons.find((b) => b.id === submitterId) : form.buttons[0];
  if (submitterId && !button) throw new Error(`submit button #${submitterId} not found`);
  if (button?.name) params.append(button.name, button.value);
  if (form.method === 'POST') {
    return {
      url: form.action,
      method: 'POST',
      body: params.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  }
  const u = new URL(form.action);
  u.search = params.toString();
  return { url: u.href, method: 'GET', body: undefined, headers: {} };
}
