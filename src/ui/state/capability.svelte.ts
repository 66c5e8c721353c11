/**
 * What this browser can run: the WebGPU adapter (named in the banner) or the CPU fallback. Only
 * strings live here; the adapter object itself is not kept (the engine requests its own device).
 */
export class Capability {
  status = $state<'checking' | 'webgpu' | 'cpu'>('checking');
  adapter = $state('');
  software = $state(false);
  reason = $state('');

  async detect(nav: Navigator = navigator): Promise<void> {
    const gpu = (nav as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) {
      this.set('cpu', '', 'This browser does not expose WebGPU (navigator.gpu is missing).');
      return;
    }
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) { this.set('cpu', '', 'WebGPU is present but no GPU adapter is available (blocked or unsupported driver).'); return; }
      const info = adapter.info;
      const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ').trim() || 'unnamed adapter';
      // `isFallbackAdapter` moved from the adapter to its info; read both.
      const fallback = Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter);
      this.software = fallback;
      this.set('webgpu', name, '');
    } catch (e) {
      this.set('cpu', '', `Requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private set(status: 'webgpu' | 'cpu', adapter: string, reason: string) {
    this.status = status;
    this.adapter = adapter;
    this.reason = reason;
  }
}
