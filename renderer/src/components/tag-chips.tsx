import type { ReactElement, ReactNode } from 'react';

/** A device's tags as chips, or `empty` when it has none. */
export function TagChips({ tags, empty }: { tags: string[]; empty: ReactNode }): ReactElement {
  if (!tags.length) return <>{empty}</>;
  return (
    <span className="chips">
      {tags.map((t) => (
        <span className="chip" key={t}>
          {t}
        </span>
      ))}
    </span>
  );
}
