// Component tests in Chromium: the pieces the smoke journey does not drive (bars, progress with
// cancel, the parameter editor's modes and preview, heatmap keyboard moves, error view advice).
import { describe, it, expect, afterEach } from 'vitest';
import { mount, unmount, flushSync, type Component } from 'svelte';
import Bars from '../../src/ui/components/Bars.svelte';
import ProgressBar from '../../src/ui/components/ProgressBar.svelte';
import ParamHarness from './ParamHarness.svelte';
import KinshipHeatmap from '../../src/ui/components/KinshipHeatmap.svelte';
import ErrorView from '../../src/ui/components/ErrorView.svelte';
import { getMethod } from '../../src/core/merge/registry.ts';
import { ShareLinkError } from '../../src/ui/share/errors.ts';

let target: HTMLElement;
let app: Record<string, unknown> | null = null;
// Components are typed by their own Props; the helper takes any of them with loose props.
const render = (C: unknown, props: Record<string, unknown>) => {
  target = document.createElement('div');
  document.body.append(target);
  app = mount(C as Component<Record<string, unknown>>, { target, props });
  flushSync();
};
afterEach(() => { if (app) unmount(app); app = null; target?.remove(); });

describe('ui components', () => {
  it('Bars scales bar widths to the largest value and lists values for screen readers', () => {
    render(Bars, { title: 'Weight change', bars: [{ label: 'embed', value: 0.5 }, { label: 'layer 0', value: 1 }, { label: 'final', value: 0.25 }] });
    const widths = [...target.querySelectorAll('rect.bar')].map((r) => Number(r.getAttribute('width')));
    expect(widths).toEqual([160, 320, 80]);
    expect([...target.querySelectorAll('table th')].map((t) => t.textContent)).toEqual(['embed', 'layer 0', 'final']);
  });

  it('ProgressBar shows done/total and calls cancel', () => {
    let cancelled = 0;
    render(ProgressBar, { progress: { phase: 'Merging', done: 3, total: 12, unit: 'tensors' }, oncancel: () => cancelled++ });
    expect(target.querySelector('progress')!.value).toBe(25);
    expect(target.textContent).toContain('3 / 12 tensors');
    target.querySelector('button')!.click();
    expect(cancelled).toBe(1);
  });

  it('ParamEditor edits SLERP t as scalar, gradient and per filter, with a per-layer preview', () => {
    const slerp = getMethod('slerp');
    let values: Record<string, unknown> = {};
    render(ParamHarness, { specs: slerp.parameters, initial: { t: 0.5 }, nLayers: 5, onchange: (v: Record<string, unknown>) => (values = v) });
    expect(values.t).toBe(0.5);
    const radios = target.querySelectorAll<HTMLInputElement>('input[type=radio]');
    expect(radios).toHaveLength(3);
    radios[1].click(); flushSync();
    const text = target.querySelector<HTMLInputElement>('input[type=text]')!;
    text.value = '0, 1'; text.dispatchEvent(new Event('input', { bubbles: true })); flushSync();
    expect(values.t).toEqual([0, 1]);
    // Five layers over the gradient [0, 1]: 0, 0.25, 0.5, 0.75, 1 (mergekit interpolation).
    const label = target.querySelector('svg[role=img]')!.getAttribute('aria-label')!;
    expect(label).toContain('t 0 0.25 0.5 0.75 1');
    text.value = '0, x'; text.dispatchEvent(new Event('input', { bubbles: true })); flushSync();
    expect(target.querySelector('[role=alert]')!.textContent).toContain('"x" is not a number');
    expect(values.t).toEqual([0, 1]);
    radios[2].click(); flushSync();
    expect((values.t as unknown[]).length).toBe(3);
    expect(target.querySelectorAll('tbody tr')).toHaveLength(3);
  });

  it('KinshipHeatmap moves the focused cell with arrow keys and reads its value', () => {
    render(KinshipHeatmap, { models: ['a', 'b', 'c'], matrix: [[1, 0.5, -0.25], [0.5, 1, 0], [-0.25, 0, 1]], metric: 'pcc' });
    const start = target.querySelector<SVGRectElement>('rect[tabindex="0"]')!;
    start.focus();
    start.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true })); flushSync();
    expect(target.querySelector('[data-testid=heatmap-readout]')!.textContent).toBe('a × c: pcc -0.25');
    (document.activeElement as SVGElement).dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true })); flushSync();
    expect(target.querySelector('[data-testid=heatmap-readout]')!.textContent).toBe('b × c: pcc 0');
    expect(target.querySelectorAll('rect[tabindex="0"]')).toHaveLength(1);
    // Cell text picks black or white by the cell's luminance (white on the dark red of 1.0).
    const texts = target.querySelectorAll<SVGTextElement>('text.val');
    expect(getComputedStyle(texts[0]).fill).toBe('rgb(255, 255, 255)');
    expect(getComputedStyle(texts[5]).fill).toBe('rgb(17, 17, 17)');
  });

  it('ErrorView gives what-to-do advice for named errors', () => {
    render(ErrorView, { error: new ShareLinkError('share-malformed', 'This share link is damaged.') });
    expect(target.textContent).toContain('Share Link error');
    expect(target.textContent).toContain('chat apps sometimes cut long links');
  });
});
