/**
 * The device filter controls: search, site, tag, state, desired state and the deployment toggles.
 * The Devices page's toolbar and the rollout wizard's device selection are both these.
 */
import type { ReactElement } from 'react';
import type { DesiredState } from '../../../shared/contract';
import { SearchIcon } from '../components/icons';
import { desiredMeaning, desiredStates } from '../lib/desired';
import { desiredOptions, stateOptions, statusToggles } from '../lib/filters';
import { useDevices, type DeviceQuery, type StateFilter } from '../stores/devices';
import { useSites } from '../stores/sites';

/** What the controls set: a device query without its sort. */
export type FilterValue = Omit<DeviceQuery, 'sort' | 'dir'>;

export interface DeviceFilterControlsProps {
  value: FilterValue;
  /** The search box text (the query may follow it after a pause). */
  searchText: string;
  onSearchText(text: string): void;
  /** One change at a time: `{ site }`, `{ tags }`, `{ states }`, `{ desired }` or a toggle. */
  onChange(patch: Partial<Omit<FilterValue, 'search'>>): void;
  /** Test ids: `<prefix>-search`, `<prefix>-site-filter`, `<prefix>-filter-staged`, ... */
  testPrefix: string;
}

/** Select value for "All sites" (the query uses null). */
const ALL = '\u0000all';

/**
 * The site filter: all sites (null), devices without a site ('') unless `noSite` is false, or
 * one site by name (sites come from their store; the caller loads them).
 */
export function SiteSelect({ value, onChange, testId, noSite = true }: { value: string | null; onChange(site: string | null): void; testId: string; noSite?: boolean }): ReactElement {
  const sites = useSites((s) => s.sites);
  return (
    <label className="select-label">
      <span className="sr-only">Site</span>
      <select value={value === null ? ALL : value} onChange={(e) => onChange(e.target.value === ALL ? null : e.target.value)} data-testid={testId}>
        <option value={ALL}>All sites</option>
        {noSite ? <option value="">No site</option> : null}
        {(sites ?? []).map((s) => (
          <option key={s.id} value={s.name}>
            {s.name}
          </option>
        ))}
        {value && !(sites ?? []).some((s) => s.name === value) ? <option value={value}>{value}</option> : null}
      </select>
    </label>
  );
}

/** The tag filter: every tag with its device count (tags come from the devices store; the caller loads them). */
export function TagSelect({ value, onChange, testId }: { value: string[]; onChange(tags: string[]): void; testId: string }): ReactElement {
  const tags = useDevices((s) => s.tags);
  return (
    <label className="select-label">
      <span className="sr-only">Tag</span>
      <select value={value.length > 1 ? 'several' : (value[0] ?? '')} onChange={(e) => onChange(e.target.value ? [e.target.value] : [])} data-testid={testId}>
        <option value="">All tags</option>
        {(tags ?? []).map((t) => (
          <option key={t.name} value={t.name}>
            {t.name} ({t.count})
          </option>
        ))}
        {value.length === 1 && !(tags ?? []).some((t) => t.name === value[0]) ? <option value={value[0]}>{value[0]}</option> : null}
        {value.length > 1 ? (
          <option value="several" disabled>
            {value.join(' + ')}
          </option>
        ) : null}
      </select>
    </label>
  );
}

/** The controls, as inline items of a toolbar (sites and tags come from their stores; the caller loads them). */
export function DeviceFilterControls({ value, searchText, onSearchText, onChange, testPrefix }: DeviceFilterControlsProps): ReactElement {
  return (
    <>
      <label className="search-box">
        <SearchIcon />
        <span className="sr-only">Search devices</span>
        <input
          type="search"
          placeholder="Search name, host, image, notes…"
          value={searchText}
          onChange={(e) => onSearchText(e.target.value)}
          data-testid={`${testPrefix}-search`}
        />
      </label>
      <SiteSelect value={value.site} onChange={(site) => onChange({ site })} testId={`${testPrefix}-site-filter`} />
      <TagSelect value={value.tags} onChange={(tags) => onChange({ tags })} testId={`${testPrefix}-tag-filter`} />
      <label className="select-label">
        <span className="sr-only">State</span>
        <select
          value={value.states.length === 1 ? value.states[0] : value.states.length ? 'several' : ''}
          onChange={(e) => onChange({ states: e.target.value ? [e.target.value as StateFilter] : [] })}
          data-testid={`${testPrefix}-state-filter`}
        >
          <option value="">All states</option>
          {stateOptions.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
          {value.states.length > 1 ? (
            <option value="several" disabled>
              {value.states.join(', ')}
            </option>
          ) : null}
        </select>
      </label>
      <label className="select-label">
        <span className="sr-only">Desired image</span>
        <select
          value={value.desired.length === 1 ? value.desired[0] : value.desired.length ? 'several' : ''}
          onChange={(e) => onChange({ desired: e.target.value ? [e.target.value as DesiredState] : [] })}
          title="By how each device stands against its desired image"
          data-testid={`${testPrefix}-desired-filter`}
        >
          <option value="">Any desired state</option>
          {desiredStates.map((v) => (
            <option key={v} value={v} title={desiredMeaning[v]}>
              {desiredOptions[v]}
            </option>
          ))}
          {value.desired.length > 1 ? (
            <option value="several" disabled>
              {value.desired.map((v) => desiredOptions[v]).join(', ')}
            </option>
          ) : null}
        </select>
      </label>
      <div className="toggle-group" role="group" aria-label="Deployments">
        {statusToggles.map((t) => (
          <button
            key={t.key}
            type="button"
            className={`toggle${value[t.key] ? ' on' : ''}`}
            aria-pressed={value[t.key]}
            title={t.title}
            onClick={() => onChange({ [t.key]: !value[t.key] })}
            data-testid={`${testPrefix}-filter-${t.key}`}
          >
            {t.label}
          </button>
        ))}
      </div>
    </>
  );
}
