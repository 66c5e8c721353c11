/**
 * Registers the service worker in production builds only: in `vite dev` there is no sw.js, and a
 * worker left over from a build would serve stale modules.
 */
export async function registerServiceWorker(): Promise<void> {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  await navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' });
}
