import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { DEFAULT_HOST, DEFAULT_PORT } from '../config/server';

/**
 * The web console. Built from the repository root with
 *   npx vite build --config web/vite.config.ts
 * into web/dist, which the API serves under /console/.
 */
const webRoot = fileURLToPath(new URL('.', import.meta.url));
/** `npx vite` (dev server) proxies the API at its default address (config/server.ts). */
const apiTarget = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export default defineConfig({
  root: webRoot,
  base: '/console/',
  publicDir: false,
  plugins: [vue()],
  resolve: {
    // The console shares the platform's vocabularies and rules: domain/ (pure, bundle-safe) and nothing else.
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)), '@domain': fileURLToPath(new URL('../domain', import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true },
      '/h5': { target: apiTarget, changeOrigin: true },
    },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus';
          if (id.includes('node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
});
