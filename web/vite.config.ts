/**
 * The browser app's build. Two constraints shape it:
 * - It must work from any static host and from `file://`. Browsers refuse module scripts and module
 *   workers from `file://` (opaque origin), so the page is one classic script (IIFE, no dynamic
 *   imports, `defer` instead of `type="module"`), the worker is inlined as a blob of a classic
 *   script, and every URL is relative (`base: './'`).
 * - No network request after load: the bundled datasets are imported as text at build time.
 */
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The built page may not open connections at all (fetch, XHR, WebSocket, beacons): the browser
 * itself then guarantees that the data cannot leave. Only in the build — the dev server needs its
 * WebSocket for reloading.
 */
const CONTENT_SECURITY_POLICY = "connect-src 'none'; form-action 'none'";

/**
 * Cross-origin isolation, which browsers require before they give a page SharedArrayBuffer (the
 * memory the parallel fits share with their Web Workers). Sent by the dev and preview servers; a
 * deployment must send the same two headers (see the README), or the app runs every fit in one
 * worker and says so.
 */
const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Rewrite Vite's module script tag into a classic deferred script (works from file://). */
function classicScript(): Plugin {
  return {
    name: 'dpcondense-classic-script',
    enforce: 'post',
    apply: 'build',
    transformIndexHtml(html) {
      return html
        .replace(/<script type="module" crossorigin/g, '<script defer')
        .replace(/<link rel="stylesheet" crossorigin/g, '<link rel="stylesheet"')
        .replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`);
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [classicScript()],
  server: { fs: { allow: ['..'] }, headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  worker: { format: 'iife' },
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    chunkSizeWarningLimit: 6000,
    rollupOptions: { output: { format: 'iife' } },
  },
});
