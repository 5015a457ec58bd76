/** A centred message for an empty list, with what to do next. */
import type { ReactElement, ReactNode } from 'react';

export interface EmptyStateProps {
  icon?: ReactNode;
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}

/** An empty-state panel (`data-testid="empty-state"`). */
export function EmptyState({ icon, title, children, actions }: EmptyStateProps): ReactElement {
  return (
    <div className="empty-state" data-testid="empty-state">
      {icon ? <div className="empty-icon">{icon}</div> : null}
      <h2>{title}</h2>
      {children ? <div className="empty-text">{children}</div> : null}
      {actions ? <div className="empty-actions">{actions}</div> : null}
    </div>
  );
}
