import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web pages, built into web/dist and served by the service itself (api/web.ts). `npm run build:web`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.join(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npx vite --config web/vite.config.ts` while the service runs: the API answers behind the dev server.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
