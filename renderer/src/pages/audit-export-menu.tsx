/**
 * The Audit page's "Export" menu: the report as the CLI writes it, in each format, made by the
 * core (`audit.export`, as `bootfleet audit --format csv|json|html|pdf [--sign]`). A menu button with
 * arrow keys, Home/End and Escape; the button says what is being made meanwhile.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactElement } from 'react';
import { DownloadIcon } from '../components/icons';
import { TIMELINE_WEEKS, useAudit, type AuditExportKind } from '../stores/audit';

interface Choice {
  kind: AuditExportKind;
  label: string;
  detail: string;
}

function choices(weeks: number): Choice[] {
  return [
    { kind: 'html', label: 'HTML report', detail: `One self-contained page with charts: states per site and over the last ${weeks} weeks` },
    { kind: 'pdf', label: 'PDF report', detail: 'The HTML report, printed (takes a few seconds)' },
    { kind: 'csv', label: 'CSV', detail: 'One row per device, as bootfleet audit --format csv' },
    { kind: 'json', label: 'JSON', detail: 'Every device and the SHA-256 of the report' },
    { kind: 'signed-json', label: 'Signed JSON', detail: "The JSON signed with this installation's key (bootfleet keys verify)" },
  ];
}

const busyText: Record<AuditExportKind, string> = {
  csv: 'Exporting…',
  json: 'Exporting…',
  'signed-json': 'Signing…',
  html: 'Making the report…',
  pdf: 'Printing the PDF…',
};

/** "Export ▾" and its menu (`data-testid="audit-export"`, items `audit-export-<kind>`). */
export function AuditExportMenu({ disabled }: { disabled: boolean }): ReactElement {
  const exporting = useAudit((s) => s.exporting);
  const weeks = useAudit((s) => s.timelineWeeks) ?? TIMELINE_WEEKS;
  const exportAs = useAudit((s) => s.exportAs);
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const id = useId();
  const items = choices(weeks);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    const outside = (e: PointerEvent): void => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const close = (focus: boolean): void => {
    setOpen(false);
    if (focus) button.current?.focus();
  };
  const pick = (kind: AuditExportKind): void => {
    close(true);
    void exportAs(kind);
  };
  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const list = Array.from(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number): void => {
      e.preventDefault();
      list[(i + list.length) % list.length]?.focus();
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(list.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Tab') close(false);
  };

  return (
    <div className="menu-wrap" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-busy={exporting !== null}
        disabled={disabled || exporting !== null}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
        title="Save this report as a file: HTML or PDF report, CSV, JSON or signed JSON, as bootfleet audit writes them"
        data-testid="audit-export"
      >
        {exporting ? <span className="spinner" aria-hidden="true" /> : <DownloadIcon />} {exporting ? busyText[exporting] : 'Export'}
        <span className="menu-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      {open ? (
        <div className="menu" role="menu" id={id} aria-label="Export the report as" ref={menu} onKeyDown={onMenuKey}>
          {items.map((c) => (
            <button
              key={c.kind}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="menu-item"
              onClick={() => pick(c.kind)}
              aria-labelledby={`${id}-${c.kind}`}
              aria-describedby={`${id}-${c.kind}-detail`}
              data-testid={`audit-export-${c.kind}`}
            >
              <span className="menu-item-label" id={`${id}-${c.kind}`}>
                {c.label}
              </span>
              <span className="menu-item-detail" id={`${id}-${c.kind}-detail`}>
                {c.detail}
              </span>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
