/**
 * The virtualized devices table: only visible rows are in the DOM, and the rows in view
 * are asked of the store, which fetches missing pages.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent, type MouseEvent, type ReactElement } from 'react';
import type { Device } from '../../../shared/contract';
import { EditIcon, SortIcon, TerminalIcon, TrashIcon } from '../components/icons';
import { deviceAt, useDevices } from '../stores/devices';
import { deviceColumns } from './device-columns';

const ROW_HEIGHT = 32;
const HEADER_HEIGHT = 34;
const ACTIONS_WIDTH = 92;
/** Grid tracks of the columns, and the width below which the table scrolls sideways. */
const GRID = `${deviceColumns.map((c) => (c.grow ? `minmax(${c.min}px, ${c.grow}fr)` : `${c.min}px`)).join(' ')} ${ACTIONS_WIDTH}px`;
const MIN_WIDTH = deviceColumns.reduce((sum, c) => sum + c.min, ACTIONS_WIDTH);

export interface DeviceTableProps {
  total: number;
  /** Row click or Enter: the device page. */
  onOpen(device: Device): void;
  onEdit(device: Device): void;
  /** A terminal on the device (the Terminals page). */
  onTerminal(device: Device): void;
  onDelete(device: Device): void;
}

/** The table (`data-testid="devices-table"`), one `device-row` per loaded visible row. */
export function DeviceTable({ total, onOpen, onEdit, onTerminal, onDelete }: DeviceTableProps): ReactElement {
  const pages = useDevices((s) => s.pages);
  const query = useDevices((s) => s.query);
  const queryKey = useDevices((s) => s.queryKey);
  const gen = useDevices((s) => s.gen);
  const ensureRange = useDevices((s) => s.ensureRange);
  const toggleSort = useDevices((s) => s.toggleSort);
  const scrollRef = useRef<HTMLDivElement>(null);

  // We use no React Compiler; the virtualizer's functions are read fresh on every render.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    paddingStart: HEADER_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    ensureRange(first, last);
  }, [first, last, gen, queryKey, ensureRange]);

  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [queryKey]);

  const onRowKey = (e: KeyboardEvent<HTMLDivElement>, index: number, device: Device | undefined): void => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'Enter' && device) {
      e.preventDefault();
      onOpen(device);
    } else if (e.key === 'Delete' && device) {
      e.preventDefault();
      onDelete(device);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = Math.max(0, Math.min(total - 1, index + (e.key === 'ArrowDown' ? 1 : -1)));
      virtualizer.scrollToIndex(next);
      requestAnimationFrame(() => {
        scrollRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus();
      });
    }
  };

  const onRowClick = (e: MouseEvent<HTMLDivElement>, device: Device): void => {
    // A modified click on the name link opens a new window; buttons act on their own.
    if (e.metaKey || e.ctrlKey || e.shiftKey) return;
    const target = e.target as HTMLElement;
    if (target.closest('button')) return;
    if (target.closest('a')) e.preventDefault();
    // Selecting text in a row is not a click on it.
    else if (window.getSelection()?.toString()) return;
    onOpen(device);
  };

  return (
    <div className="table devices-table" role="table" aria-rowcount={total + 1} aria-label="Devices" data-testid="devices-table" ref={scrollRef}>
      <div className="table-inner" style={{ height: virtualizer.getTotalSize(), minWidth: MIN_WIDTH }}>
        <div className="table-head" role="rowgroup">
        <div className="table-row head" role="row" style={{ gridTemplateColumns: GRID, height: HEADER_HEIGHT }}>
          {deviceColumns.map((c) => {
            const active = c.sort && query.sort === c.sort;
            return (
              <div
                key={c.id}
                role="columnheader"
                className="th"
                aria-sort={c.sort ? (active ? (query.dir === 'asc' ? 'ascending' : 'descending') : 'none') : undefined}
                data-column={c.id}
              >
                {c.sort ? (
                  <button type="button" className="th-button" onClick={() => toggleSort(c.sort!)} data-testid={`sort-${c.id}`}>
                    {c.header}
                    <SortIcon size={13} dir={active ? query.dir : null} />
                  </button>
                ) : (
                  <span className="th-label">{c.header}</span>
                )}
              </div>
            );
          })}
          <div role="columnheader" className="th th-actions">
            <span className="sr-only">Actions</span>
          </div>
        </div>
        </div>
        <div role="rowgroup">
          {items.map((vi) => {
            const device = deviceAt(pages, vi.index);
            const style = { transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT, gridTemplateColumns: GRID };
            if (!device) {
              return (
                <div key={`p${vi.index}`} className="table-row placeholder" role="row" aria-rowindex={vi.index + 2} style={style} data-index={vi.index} data-testid="device-row-loading">
                  {deviceColumns.map((c) => (
                    <div key={c.id} role="cell" className="td">
                      <span className="skeleton" />
                    </div>
                  ))}
                  <div role="cell" className="td td-actions" />
                </div>
              );
            }
            return (
              <div
                key={device.id}
                className="table-row"
                role="row"
                tabIndex={0}
                aria-rowindex={vi.index + 2}
                data-index={vi.index}
                data-testid="device-row"
                data-name={device.name}
                style={style}
                onClick={(e) => onRowClick(e, device)}
                onKeyDown={(e) => onRowKey(e, vi.index, device)}
              >
                {deviceColumns.map((c) => (
                  <div key={c.id} role="cell" className={`td td-${c.id}`} title={c.title?.(device)}>
                    {c.render(device)}
                  </div>
                ))}
                <div role="cell" className="td td-actions">
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={`Open a terminal on ${device.name}`}
                    title="Open terminal"
                    data-testid="device-terminal"
                    onClick={() => onTerminal(device)}
                  >
                    <TerminalIcon size={15} />
                  </button>
                  <button type="button" className="icon-button" aria-label={`Edit ${device.name}`} title="Edit" data-testid="device-edit" onClick={() => onEdit(device)}>
                    <EditIcon size={15} />
                  </button>
                  <button type="button" className="icon-button danger" aria-label={`Delete ${device.name}`} title="Delete" data-testid="device-delete" onClick={() => onDelete(device)}>
                    <TrashIcon size={15} />
                  </button>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
