/**
 * The web page's HTML shells. Each is static apart from a few escaped values (the CSRF
 * token, an investigation id that passed the id check, the signed-in principal); the
 * content is drawn by /ui/web.js from the JSON endpoints. No inline script or style: the
 * CSP allows scripts, styles and connections from this origin only.
 */

/** The Content-Security-Policy of every web page. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every web page and endpoint sends. */
export const WEB_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': WEB_CSP,
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, and the origin check needs the real one.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Shell {
  title: string;
  page: 'index' | 'investigation' | 'signin' | 'error';
  csrf?: string;
  investigationId?: string;
  /** `tenant / actor` when signed in; the sign-out form shows then (cookie sessions only). */
  who?: string | null;
  signedInByCookie?: boolean;
  body: string;
}

function shell(s: Shell): string {
  const e = escapeHtml;
  const nav = s.who
    ? `<nav class="top" aria-label="Site"><a href="/">longhaul — investigations</a><span class="meta">Signed in as ${e(s.who)}</span>${
        s.signedInByCookie ? `<form method="post" action="/signout"><input type="hidden" name="csrf" value="${e(s.csrf ?? '')}"><button type="submit">Sign out</button></form>` : ''
      }</nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${s.csrf ? `<meta name="csrf-token" content="${e(s.csrf)}">` : ''}
<title>${e(s.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/web.css">
<script type="module" src="/ui/web.js"></script>
</head>
<body data-page="${s.page}"${s.investigationId ? ` data-investigation-id="${e(s.investigationId)}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<div class="page">
${nav}
<main id="main" tabindex="-1">
${s.body}
</main>
<div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
</div>
</body>
</html>
`;
}

export const indexPage = (o: { csrf: string; who: string; signedInByCookie: boolean }) =>
  shell({
    title: 'Investigations — longhaul',
    page: 'index',
    ...o,
    body: `<h1>Investigations</h1>
<div class="inv">
<section class="card inbox" aria-labelledby="inbox-h"><h2 id="inbox-h">Inbox: what needs you</h2><div id="inbox"><p class="empty">Loading…</p></div></section>
<section class="card" aria-labelledby="inv-h"><h2 id="inv-h">Your tenant's investigations</h2><div id="investigations"><p class="empty">Loading…</p></div></section>
</div>`,
  });

export const investigationPage = (o: { csrf: string; who: string; signedInByCookie: boolean; investigationId: string }) =>
  shell({
    title: 'Investigation — longhaul',
    page: 'investigation',
    ...o,
    body: `<div id="view" aria-label="Investigation"><p class="empty">Loading the investigation…</p></div>`,
  });

export const signinPage = (o: { next: string; error?: string | null }) =>
  shell({
    title: 'Sign in — longhaul',
    page: 'signin',
    body: `<h1>Sign in to longhaul</h1>
${o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form class="stack card" method="post" action="/signin">
<input type="hidden" name="next" value="${escapeHtml(o.next)}">
<label for="token">Access token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<p class="meta">The same bearer token as for <code>/mcp</code> (<code>longhaul token create</code>), or an OAuth access token.</p>
<button type="submit" class="primary">Sign in</button>
</form>`,
  });

export const errorPage = (title: string, message: string) => shell({ title: `${title} — longhaul`, page: 'error', body: `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">All investigations</a></p>` });
