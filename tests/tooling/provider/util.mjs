// Small HTML and body helpers shared by the provider's modules.
import * as querystring from 'node:querystring';

export function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

export function page(title, body, lang = 'en') {
  return `<!DOCTYPE html>
<html lang="${esc(lang)}">
<head><meta charset="utf-8"><title>${esc(title)} | authgate test provider</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0 .2em}
input{width:100%;padding:.4em}button{margin-top:1em;padding:.5em 1.2em}#error{color:#b00}</style></head>
<body>
${body}
</body>
</html>`;
}

export function autoSubmitPage(title, formHtml) {
  return page(title, `${formHtml}
<script>document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit(); });</script>
<noscript><button type="submit" form="${/id="([^"]+)"/.exec(formHtml)?.[1] ?? ''}">Continue</button></noscript>`);
}

export async function readBody(ctx, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limit) ctx.throw(413, 'request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseForm(text) {
  return { ...querystring.parse(text) };
}
