import { defineConfig } from 'vite';

// The build output is what Tauri embeds (tauri.conf.json frontendDist) and
// what `readyroom serve` embeds (crates/server/build.rs).
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  clearScreen: false,
});
