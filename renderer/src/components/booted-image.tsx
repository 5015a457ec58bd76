/** The booted image as a person knows it: the registry image a path on the device stands for, marked "via library". */
import type { ReactElement } from 'react';
import type { StatusSummary } from '../../../shared/contract';
import { imageShortName } from '../lib/format';
import { bootedImageOf } from '../lib/via-library';

/** The small marker of an image Bootfleet sent from the library; its tooltip names the path on the device. */
export function ViaLibraryBadge({ onDevice }: { onDevice: string | null }): ReactElement {
  return (
    <span className="badge badge-staged via-library-badge" title={onDevice ? `Sent from the image library; on the device: ${onDevice}` : 'Sent from the image library'} data-testid="via-library">
      via library
    </span>
  );
}

/** A fleet-table cell: the name without its registry host, cut at the start, and the marker (the title is the row's). */
export function BootedImageCell({ summary, empty }: { summary: Pick<StatusSummary, 'bootedImage' | 'bootedAs'>; empty: ReactElement }): ReactElement {
  const b = bootedImageOf(summary);
  if (!b) return empty;
  return (
    <span className="booted-image-cell" data-via={b.viaLibrary ? 'library' : undefined}>
      <span className="mono ellipsis-start">
        <span>{imageShortName(b.shown)}</span>
      </span>
      {b.viaLibrary ? <ViaLibraryBadge onDevice={b.onDevice} /> : null}
    </span>
  );
}
