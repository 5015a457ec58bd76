/**
 * Images Bootfleet sends from the image library over SSH (switch and upgrade, one device or a
 * rollout): the choices (where the image comes from, its form on the device, a rate limit) as the
 * forms hold them, the input fields they make, and how they read; and the registry image a path
 * on a device stands for.
 */
import { libraryPathOf, type StatusSummary } from '../../../shared/contract';

/** Where the image comes from: the device pulls it, or Bootfleet sends it from the library. */
export type Via = 'device' | 'library';

/** The form of a library image on the device (`transport` with via library). */
export type LibraryFormat = 'oci' | 'oci-archive';

/** The choices as a form holds them (the rate as typed, in MB/s). */
export interface SendChoice {
  via: Via;
  format: LibraryFormat;
  rate: string;
}

export const defaultSendChoice: SendChoice = { via: 'device', format: 'oci', rate: '' };

/** Each form, in words (the choice cards and summaries). */
export const libraryFormatText: Record<LibraryFormat, { title: string; hint: string; short: string }> = {
  oci: { title: 'OCI layout', hint: 'Only missing layers are sent: the device keeps them for the next image.', short: 'OCI layout, only missing layers sent' },
  'oci-archive': { title: 'One oci-archive file', hint: 'Each image is sent whole, as one file.', short: 'one oci-archive file' },
};

/** The form a recorded transport means with via library (`registry`, the field's default, is the layout). */
export const libraryFormatOf = (transport: string | null | undefined): LibraryFormat => (transport === 'oci-archive' ? 'oci-archive' : 'oci');

/** The least the contract accepts: 1 KiB/s. */
export const MIN_BYTES_PER_SECOND = 1024;
const MB = 1_000_000;

/**
 * A rate typed in MB/s (decimal, as the CLI's `--max-rate 50M`) as bytes per second: empty is no
 * limit. The error says what to type instead.
 */
export function parseRate(text: string): { bytesPerSecond: number | undefined; error: string | null } {
  const t = text.trim();
  if (t === '') return { bytesPerSecond: undefined, error: null };
  if (!/^(\d+\.?\d*|\.\d+)$/.test(t)) return { bytesPerSecond: undefined, error: 'Enter MB/s as a number (e.g. 50 or 2.5), or leave it empty for no limit' };
  const n = Math.round(Number(t) * MB);
  if (n < MIN_BYTES_PER_SECOND) return { bytesPerSecond: undefined, error: 'Too low: at least 1 KiB/s (0.002 MB/s)' };
  if (!Number.isSafeInteger(n)) return { bytesPerSecond: undefined, error: 'Too high: leave it empty for no limit' };
  return { bytesPerSecond: n, error: null };
}

/** A rate in the unit it is typed in: "50 MB/s", "2.5 MB/s", "800 kB/s". */
export function formatRate(bytesPerSecond: number): string {
  const trim = (v: number): string => String(Number(v.toFixed(v >= 100 ? 0 : 2)));
  return bytesPerSecond >= MB ? `${trim(bytesPerSecond / MB)} MB/s` : `${trim(bytesPerSecond / 1000)} kB/s`;
}

/** The fields of an action or rollout input for a choice: none when the device pulls, or the rate is not valid yet. */
export function sendFields(c: SendChoice): { via: 'library'; transport: LibraryFormat; maxBytesPerSecond?: number } | Record<string, never> {
  if (c.via !== 'library') return {};
  const { bytesPerSecond } = parseRate(c.rate);
  return { via: 'library', transport: c.format, ...(bytesPerSecond !== undefined ? { maxBytesPerSecond: bytesPerSecond } : {}) };
}

/**
 * How an image goes to the devices, after "from the image library, over SSH": "OCI layout, only
 * missing layers sent · at most 50 MB/s" (`shared`: the limit covers all devices together).
 * Null when the devices pull it.
 */
export function sendText(p: { via?: string | null; transport?: string | null; maxBytesPerSecond?: number | null }, shared = false): string | null {
  if (p.via !== 'library') return null;
  const rate = p.maxBytesPerSecond ? `at most ${formatRate(p.maxBytesPerSecond)}${shared ? ' for all devices together' : ''}` : 'no rate limit';
  return `${libraryFormatText[libraryFormatOf(p.transport)].short} · ${rate}`;
}

/** A choice starting from what a device follows: its library path's form when it has one. */
export function choiceFor(spec: { transport: string; image: string } | null | undefined): SendChoice {
  const path = libraryPathOf(spec);
  return path ? { via: 'library', format: path.transport, rate: '' } : defaultSendChoice;
}

/** "registry.local/os:2.0", or "oci:/var/os" for another transport (as the core writes `bootedImage`). */
export function refText(ref: { transport: string; image: string }): string {
  return ref.transport === 'registry' ? ref.image : `${ref.transport}:${ref.image}`;
}

/**
 * The booted image as a person knows it: the registry image it stands for when Bootfleet sent it
 * from the library (`viaLibrary`, with the path bootc shows in `onDevice`), else bootc's reference.
 * Null when nothing is known.
 */
export function bootedImageOf(s: Pick<StatusSummary, 'bootedImage' | 'bootedAs'>): { shown: string; viaLibrary: boolean; onDevice: string | null } | null {
  if (s.bootedAs) return { shown: s.bootedAs, viaLibrary: true, onDevice: s.bootedImage };
  return s.bootedImage ? { shown: s.bootedImage, viaLibrary: false, onDevice: null } : null;
}

/** The tooltip of a booted image: the name, and for one sent from the library, the path on the device. */
export function bootedImageTitle(s: Pick<StatusSummary, 'bootedImage' | 'bootedAs'>): string {
  const b = bootedImageOf(s);
  if (!b) return '';
  return b.viaLibrary ? `${b.shown}\nSent from the image library; on the device: ${b.onDevice ?? '?'}` : b.shown;
}

/**
 * The registry image a deployment's reference stands for, when it is the booted one the summary
 * names (same reference and digest): the summary only knows it for the booted image.
 */
export function deployedAs(ref: { transport: string; image: string } | null | undefined, digest: string | null | undefined, s: Pick<StatusSummary, 'bootedImage' | 'bootedAs' | 'booted'>): string | null {
  if (!ref || !s.bootedAs || !s.bootedImage) return null;
  if (refText(ref) !== s.bootedImage) return null;
  if (digest && s.booted && s.booted.digest !== digest) return null;
  return s.bootedAs;
}

/** Bytes moving to devices right now: how many are being sent to and their speed together. */
export function sendingNow(devices: readonly { phase: string | null; state: string; transfer: { bytesPerSecond: number } | null }[]): { devices: number; bytesPerSecond: number } {
  let n = 0;
  let speed = 0;
  for (const d of devices) {
    if (d.phase !== 'transferring' || d.state !== 'running') continue;
    n++;
    speed += d.transfer?.bytesPerSecond ?? 0;
  }
  return { devices: n, bytesPerSecond: speed };
}

/**
 * The registry name (NAME:TAG) a device follows, as far as its status tells: the image it follows
 * when that is a registry one, or the name its library path stands for (known for the booted one).
 */
export function followedName(spec: { transport: string; image: string } | null | undefined, s: Pick<StatusSummary, 'bootedImage' | 'bootedAs'>): string | null {
  if (!spec) return null;
  if (libraryPathOf(spec)) return s.bootedAs && s.bootedImage === refText(spec) ? s.bootedAs : null;
  return spec.transport === 'registry' ? spec.image : null;
}
