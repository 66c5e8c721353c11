import { mount } from 'svelte';
import App from './ui/App.svelte';

const target = document.getElementById('app')!;
try {
  mount(App, { target });
} catch (e) {
  // Never a blank page: if the shell itself cannot start, say so in plain HTML.
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = `kinmerge could not start: ${e instanceof Error ? e.message : String(e)}. Reload the page; if it happens again, use an up-to-date Chrome, Edge, Firefox or Safari.`;
  target.replaceChildren(p);
  throw e;
}
