import { hydrate } from 'svelte';
import CardScreen from '$lib/components/CardScreen.svelte';

/** Brings the server-rendered add-card screen to life (see vite-plugin-islands.ts). */
const target = document.getElementById('card-screen');
if (target?.dataset.props) hydrate(CardScreen, { target, props: JSON.parse(target.dataset.props) });
