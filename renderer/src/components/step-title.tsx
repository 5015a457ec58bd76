/** A numbered step's heading (the Flash and Provision pages). */
import type { ReactElement, ReactNode } from 'react';

export function StepTitle({ n, id, children }: { n: number; id: string; children: ReactNode }): ReactElement {
  return (
    <h2 className="panel-title flash-step-title" id={id}>
      <span className="flash-step-num" aria-hidden="true">
        {n}
      </span>
      {children}
    </h2>
  );
}
