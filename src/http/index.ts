export { startStatusServer, statusServerOf, isLoopback, type StatusServer, type StatusServerOptions } from './status-server.js';
export { renderPage, escapeHtml, type StatusSnapshot } from './page.js';
