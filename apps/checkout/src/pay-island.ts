import { hydrate } from 'svelte';
import PayScreen from '$lib/components/PayScreen.svelte';

/** Brings the server-rendered payment screen to life (see vite-plugin-islands.ts). */
const target = document.getElementById('pay-screen');
if (target?.dataset.props) hydrate(PayScreen, { target, props: JSON.parse(target.dataset.props) });
