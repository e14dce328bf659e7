import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  server: { port: Number(process.env.CONSOLE_PORT ?? 5174), strictPort: true },
});
