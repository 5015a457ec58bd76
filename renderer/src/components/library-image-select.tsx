/**
 * The library image to send: a select of the library's images ("reg/os:1.1 · 42.20261001.0",
 * `data-ref` the reference the core takes), or why there is none to choose.
 */
import type { ReactElement } from 'react';
import type { LibraryImage } from '../../../shared/contract';
import { imageLabel, imageRef } from '../lib/library';
import { routeHref } from '../stores/ui';

/** How a library image is offered: "reg/os:1.1 · 42.20261001.0" (the rest is said under it). */
export function libraryOption(img: LibraryImage): string {
  return [imageLabel(img), img.version].filter(Boolean).join(' · ');
}

export interface LibraryImageSelectProps {
  /** The select's id and test id. */
  id: string;
  testId: string;
  /** Null while the library is read. */
  images: LibraryImage[] | null;
  loadError: string | null;
  chosen: LibraryImage | null;
  onChoose(id: string): void;
  /** Images that cannot go to the device are offered disabled, with `unfitNote` after them. */
  fits?(img: LibraryImage): boolean;
  unfitNote?: string;
  invalid: boolean;
  describedBy?: string | undefined;
  /** Opens the Images page (closing what asked). */
  onOpenImages(): void;
  emptyTestId: string;
}

/** The select, or "Reading the library…", or the empty library with a link to the Images page. */
export function LibraryImageSelect({ id, testId, images, loadError, chosen, onChoose, fits, unfitNote, invalid, describedBy, onOpenImages, emptyTestId }: LibraryImageSelectProps): ReactElement {
  if (images === null) return <p className="muted small">{loadError ? `Could not read the library: ${loadError}` : 'Reading the library…'}</p>;
  if (images.length === 0) {
    return (
      <p className="muted small" data-testid={emptyTestId}>
        The library is empty.{' '}
        <a
          href={routeHref('images')}
          onClick={(e) => {
            e.preventDefault();
            onOpenImages();
          }}
        >
          Import or pull an image
        </a>{' '}
        on the Images page first.
      </p>
    );
  }
  return (
    <select id={id} value={chosen?.id ?? ''} onChange={(e) => onChoose(e.target.value)} aria-invalid={invalid} aria-describedby={describedBy} data-autofocus data-testid={testId}>
      {images.map((i) => {
        const ok = !fits || fits(i);
        return (
          <option key={i.id} value={i.id} disabled={!ok} data-ref={imageRef(i, images)}>
            {libraryOption(i)}
            {ok ? '' : ` (${unfitNote ?? 'does not fit'})`}
          </option>
        );
      })}
    </select>
  );
}
