import react from '@vitejs/plugin-react-swc';
import { defineConfig } from 'vite';

const api = process.env.MAYAK_API_URL ?? 'http://127.0.0.1:3000';

/**
 * The production build goes to dist/web, which the API serves at / under a strict CSP
 * (script-src 'self', style-src 'self'): so nothing may be inlined, not even small assets
 * as data: URIs, and CSS stays in files. In development the Vite server serves the UI and
 * proxies /api (server-sent events included) to a running API.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    // Browsers we support all have modulepreload; the polyfill would be dead code.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  preview: { host: '127.0.0.1', port: 4173 },
});
