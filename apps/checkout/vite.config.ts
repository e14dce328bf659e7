import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { islands } from './vite-plugin-islands';

export default defineConfig({
  plugins: [islands(), sveltekit()],
  server: { port: Number(process.env.CHECKOUT_PORT ?? 5173), strictPort: true },
});
