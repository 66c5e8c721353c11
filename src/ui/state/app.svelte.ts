/**
 * App-level state: the current view (from the hash route), the controls hidden by a teaching link,
 * and the share payload opened from a link. Decoding a link only restores settings: it never fetches.
 */
import { parseHash, formatHash } from '../share/route.ts';
import { decodeShare, encodeShare } from '../share/codec.ts';
import type { ShareState, ViewId } from '../share/schema.ts';
import type { ControlId } from '../teach/controls.ts';

export class AppState {
  view = $state<ViewId>('library');
  hidden = $state<ControlId[]>([]);
  /** The experiment restored from the last opened link (replaced whole). */
  shared = $state.raw<ShareState | null>(null);
  shareError = $state.raw<unknown>(null);
  shareWarnings = $state.raw<string[]>([]);
  unknownRoute = $state<string | null>(null);
  /** The token currently in the URL, so re-reading the same hash does not decode it again. */
  private token: string | null = null;

  isHidden(id: ControlId): boolean {
    return this.hidden.includes(id);
  }

  /** Reads `location.hash`; decodes a new share token if there is one. */
  async readHash(hash: string): Promise<void> {
    const route = parseHash(hash);
    this.view = route.view;
    this.unknownRoute = route.unknown ?? null;
    if (route.share === null || route.share === this.token) return;
    this.token = route.share;
    try {
      const { state, warnings } = await decodeShare(route.share);
      this.shared = state;
      this.hidden = [...state.hide];
      this.shareWarnings = warnings;
      this.shareError = null;
      this.view = state.view;
    } catch (e) {
      this.shared = null;
      this.shareError = e;
      this.shareWarnings = [];
    }
  }

  /** Hash for switching views; keeps the current share token so hidden controls stay hidden. */
  hrefFor(view: ViewId): string {
    return formatHash({ view, share: this.token });
  }

  /** A full link for `state`: the current page with `#/<view>?s=v1.<data>`. */
  async linkFor(state: ShareState, base: string): Promise<string> {
    const token = await encodeShare(state);
    return `${base.split('#')[0]}${formatHash({ view: state.view, share: token })}`;
  }
}
