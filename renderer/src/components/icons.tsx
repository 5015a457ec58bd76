/** Inline SVG icons (no icon font, no network). All take the current text colour. */
import type { ReactElement, SVGProps } from 'react';

type IconProps = SVGProps<SVGSVGElement> & { size?: number };

function Svg({ size = 16, children, ...rest }: IconProps & { children: React.ReactNode }): ReactElement {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...rest}
    >
      {children}
    </svg>
  );
}

/** The Bootfleet mark: three stacked boot layers. */
export function LogoIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p} strokeWidth={2}>
      <path d="M12 3 3 7.5 12 12l9-4.5L12 3Z" />
      <path d="m3 12 9 4.5 9-4.5" />
      <path d="m3 16.5 9 4.5 9-4.5" />
    </Svg>
  );
}
/** Fleet overview. */
export function FleetIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="3" y="3" width="7" height="7" rx="1.5" />
      <rect x="14" y="3" width="7" height="7" rx="1.5" />
      <rect x="3" y="14" width="7" height="7" rx="1.5" />
      <rect x="14" y="14" width="7" height="7" rx="1.5" />
    </Svg>
  );
}
/** Devices (a server). */
export function DeviceIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="3" y="4" width="18" height="7" rx="1.5" />
      <rect x="3" y="13" width="18" height="7" rx="1.5" />
      <path d="M7 7.5h.01M7 16.5h.01" strokeWidth={2.6} />
    </Svg>
  );
}
/** Sites (a map pin). */
export function SiteIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21Z" />
      <circle cx="12" cy="9.5" r="2.5" />
    </Svg>
  );
}
/** Activity (a pulse). */
export function ActivityIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M3 12h4l3-8 4 16 3-8h4" />
    </Svg>
  );
}
export function PlusIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 5v14M5 12h14" />
    </Svg>
  );
}
export function UploadIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 15V3m0 0-4.5 4.5M12 3l4.5 4.5" />
      <path d="M4 15v4a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-4" />
    </Svg>
  );
}
export function DownloadIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5" />
      <path d="M4 15v4a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-4" />
    </Svg>
  );
}
export function SearchIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="11" cy="11" r="6.5" />
      <path d="m20 20-4.2-4.2" />
    </Svg>
  );
}
export function EditIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16v4Z" />
      <path d="m13.5 6.5 4 4" />
    </Svg>
  );
}
export function TrashIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M4 7h16M10 11v6M14 11v6" />
      <path d="M6 7l1 13h10l1-13M9 7V4h6v3" />
    </Svg>
  );
}
export function SunIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="12" cy="12" r="4" />
      <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
    </Svg>
  );
}
export function MoonIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5Z" />
    </Svg>
  );
}
export function MonitorIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="3" y="4" width="18" height="12" rx="1.5" />
      <path d="M8 20h8M12 16v4" />
    </Svg>
  );
}
/** A terminal (a prompt in a window). */
export function TerminalIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="3" y="4" width="18" height="16" rx="2" />
      <path d="m7 9 3 3-3 3M12.5 15H17" />
    </Svg>
  );
}
export function CloseIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M6 6l12 12M18 6 6 18" />
    </Svg>
  );
}
export function AlertIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 3 2 20h20L12 3Z" />
      <path d="M12 10v4M12 17h.01" />
    </Svg>
  );
}
export function CheckIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="m5 12.5 4.5 4.5L19 7.5" />
    </Svg>
  );
}
export function InfoIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 11v5M12 8h.01" />
    </Svg>
  );
}
export function SortIcon({ dir, ...p }: IconProps & { dir: 'asc' | 'desc' | null }): ReactElement {
  return (
    <Svg {...p} strokeWidth={2}>
      {dir === 'asc' ? <path d="m7 14 5-5 5 5" /> : dir === 'desc' ? <path d="m7 10 5 5 5-5" /> : <path d="m8 10 4-4 4 4M8 14l4 4 4-4" opacity={0.45} />}
    </Svg>
  );
}
export function FileIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M14 3H6.5A1.5 1.5 0 0 0 5 4.5v15A1.5 1.5 0 0 0 6.5 21h11a1.5 1.5 0 0 0 1.5-1.5V8l-5-5Z" />
      <path d="M14 3v5h5M9 13h6M9 17h6" />
    </Svg>
  );
}
export function TagIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M3 12V4a1 1 0 0 1 1-1h8l9 9-9 9-9-9Z" />
      <path d="M7.5 7.5h.01" strokeWidth={2.6} />
    </Svg>
  );
}
export function RefreshIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M20 11a8 8 0 0 0-14.6-4.5L4 8" />
      <path d="M4 3.5V8h4.5" />
      <path d="M4 13a8 8 0 0 0 14.6 4.5L20 16" />
      <path d="M20 20.5V16h-4.5" />
    </Svg>
  );
}
export function CopyIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="9" y="9" width="11" height="11" rx="2" />
      <path d="M5 15H4.5A1.5 1.5 0 0 1 3 13.5v-9A1.5 1.5 0 0 1 4.5 3h9A1.5 1.5 0 0 1 15 4.5V5" />
    </Svg>
  );
}
export function ClockIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7v5l3 2" />
    </Svg>
  );
}
export function KeyIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="8" cy="15" r="4" />
      <path d="m10.8 12.2 8.7-8.7M16 7l3 3M14 9l2 2" />
    </Svg>
  );
}
export function ChevronLeftIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="m15 18-6-6 6-6" />
    </Svg>
  );
}
export function ChevronRightIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="m9 18 6-6-6-6" />
    </Svg>
  );
}
/** Desired images: a target. */
export function TargetIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="12" cy="12" r="9" />
      <circle cx="12" cy="12" r="5" />
      <circle cx="12" cy="12" r="1.2" fill="currentColor" />
    </Svg>
  );
}
/** Rollouts (steps up: batch after batch). */
export function RolloutIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M3 20h5v-5h5v-5h5V5" />
      <path d="m15 8 3-3 3 3" />
    </Svg>
  );
}
/** Pause. */
export function PauseIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="6" y="5" width="4" height="14" rx="1" />
      <rect x="14" y="5" width="4" height="14" rx="1" />
    </Svg>
  );
}
/** Play (resume). */
export function PlayIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M7 5v14l11-7L7 5Z" />
    </Svg>
  );
}
/** Flash (a USB stick). */
export function UsbIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="7" y="9" width="10" height="12" rx="2" />
      <path d="M9 9V3h6v6" />
      <path d="M11 5.5h.01M13 5.5h.01" strokeWidth={2.4} />
    </Svg>
  );
}
/** A directory. */
export function FolderIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2.5h8.5A1.5 1.5 0 0 1 21 9v9.5a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18.5v-12Z" />
    </Svg>
  );
}
/** Up one level. */
export function ArrowUpIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 19V5M6 11l6-6 6 6" />
    </Svg>
  );
}
/** Home directory. */
export function HomeIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="m3 11 9-7 9 7" />
      <path d="M5.5 9.5V20h13V9.5" />
    </Svg>
  );
}
/** Provision (an image going down onto a box). */
export function ProvisionIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 3v8m0 0-3.5-3.5M12 11l3.5-3.5" />
      <rect x="3" y="14" width="18" height="7" rx="1.5" />
      <path d="M7 17.5h.01" strokeWidth={2.6} />
    </Svg>
  );
}
/** Images (the image library: a package). */
export function ImagesIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M12 3 4 7v10l8 4 8-4V7l-8-4Z" />
      <path d="m4 7 8 4 8-4M12 11v10" />
      <path d="m8 5 8 4" />
    </Svg>
  );
}
/** Audit (a clipboard with a check mark). */
export function AuditIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="5" y="4" width="14" height="17" rx="2" />
      <path d="M9 4V3h6v1" />
      <path d="m9 13 2 2 4-4" />
    </Svg>
  );
}
export function PackageIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M21 8 12 3 3 8v8l9 5 9-5V8Z" />
      <path d="m3 8 9 5 9-5M12 13v8" />
    </Svg>
  );
}
