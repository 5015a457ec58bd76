/** What every detail page (a device, a rollout) shows before its item is there: a way back, "not found", "loading". */
import type { ReactElement, ReactNode } from 'react';
import { routeHref, useUi } from '../stores/ui';
import { EmptyState } from './empty-state';
import { ChevronLeftIcon } from './icons';

/** A link back to a list page, e.g. "‹ Devices". */
export function BackLink({ page, label }: { page: string; label: string }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  return (
    <a
      href={routeHref(page)}
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate(page);
      }}
      data-testid={`back-to-${page}`}
    >
      <ChevronLeftIcon size={14} /> {label}
    </a>
  );
}

/** The page of an item that is not there (`notFound`) or not loaded yet. */
export function DetailPlaceholder({ back, notFound }: { back: ReactNode; notFound?: { heading: string; title: string; icon: ReactNode; message: string } }): ReactElement {
  return (
    <div className="page">
      <div className="page-header">
        <div>
          {back}
          {notFound && <h1>{notFound.heading}</h1>}
        </div>
      </div>
      {notFound ? (
        <div className="page-body">
          <EmptyState icon={notFound.icon} title={notFound.title}>
            <p>{notFound.message}</p>
          </EmptyState>
        </div>
      ) : (
        <div className="loading-line">Loading…</div>
      )}
    </div>
  );
}
