// `podrun get events` as kubectl prints it (printEvent in
// k8s.io/kubernetes/pkg/printers/internalversion/printers.go): LAST SEEN, TYPE, REASON, OBJECT,
// MESSAGE, with NAMESPACE first under -A; the events of one pod in the shape describe's Events
// section takes; and the field selectors the API server accepts for events. Pure: `now` is passed in.

import type { Event, ObjectReference, Pod } from 'kubernetes-types/core/v1';
import { ageSince } from './age';
import type { PodEvent } from './describe';
import { renderDocument, type OutputFormat } from './pod-output';
import { usageError } from './report-error';
import { renderTable } from './table';

export interface EventTableOptions {
  /** `-o wide`: also SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME. */
  wide?: boolean;
  /** Prefix a NAMESPACE column, as `get events -A` does. */
  withNamespace?: boolean;
  now: number;
}

/** kubectl's formatEventSource: `kubelet, host1`, the host left out when empty. */
export function eventSource(e: Event): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/** kubectl's OBJECT column: `pod/web`, the kind in lower case. */
export function eventObject(e: Event): string {
  const kind = (e.involvedObject.kind ?? '').toLowerCase();
  return e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
}

/** The cells of one event, in the table's order. */
export function eventCells(e: Event, opts: EventTableOptions): string[] {
  const first = ageSince(e.firstTimestamp ?? e.eventTime, opts.now);
  const last = e.lastTimestamp ? ageSince(e.lastTimestamp, opts.now) : first;
  const message = (e.message ?? '').trim();
  const cells = opts.wide
    ? [last, e.type ?? '', e.reason ?? '', eventObject(e), e.involvedObject.fieldPath ?? '', eventSource(e), message, first, String(e.count || 1), e.metadata.name ?? '']
    : [last, e.type ?? '', e.reason ?? '', eventObject(e), message];
  if (opts.withNamespace) cells.unshift(e.metadata.namespace ?? '');
  return cells;
}

export function eventHeader(opts: { wide?: boolean; withNamespace?: boolean }): string[] {
  const header = opts.wide
    ? ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']
    : ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  if (opts.withNamespace) header.unshift('NAMESPACE');
  return header;
}

/** The `get events` table, header included. */
export function eventTable(events: Event[], opts: EventTableOptions): string {
  return renderTable([eventHeader(opts), ...events.map((e) => eventCells(e, opts))]);
}

/** The event with its type fields first, as kubectl prints objects. */
function eventObjectDoc(e: Event): Event {
  const { apiVersion, kind, ...rest } = e;
  return { apiVersion: apiVersion ?? 'v1', kind: kind ?? 'Event', ...rest };
}

/** `-o json|yaml|name|jsonpath` for events: one object for one name, else a List. */
export function renderEvents(events: Event[], format: Exclude<OutputFormat, { kind: 'table' }>, single: boolean): string {
  const doc = single && events.length === 1 ? eventObjectDoc(events[0]!) : { apiVersion: 'v1', items: events.map(eventObjectDoc), kind: 'List', metadata: { resourceVersion: '' } };
  return renderDocument(doc, format, events.map((e) => `event/${e.metadata.name ?? ''}`));
}

/** kubectl lists events oldest first, by the time each last happened (SortableEvents). */
export function sortEvents(events: Event[]): Event[] {
  const t = (e: Event): number => Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? '') || 0;
  return [...events].sort((a, b) => t(a) - t(b));
}

/**
 * The events of one pod, as describe's Events section reads them (From: the component). Matched
 * by name, namespace and uid, as kubectl's event search does: a pod deleted and created again
 * under its name does not inherit the old one's history.
 */
export function podEvents(events: Event[], pod: Pod): PodEvent[] {
  return objectEvents(events, pod, 'Pod');
}

/** podEvents for an object of any kind. */
export function objectEvents(events: Event[], obj: { metadata?: Pod['metadata'] }, kind: string): PodEvent[] {
  const meta = obj.metadata ?? {};
  const about = (o: ObjectReference): boolean =>
    o.kind === kind && o.name === meta.name && (o.namespace ?? 'default') === (meta.namespace ?? 'default') && (!meta.uid || !o.uid || o.uid === meta.uid);
  return events
    .filter((e) => about(e.involvedObject))
    .map((e) => ({
      type: e.type === 'Warning' ? 'Warning' : 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      source: e.source?.component || e.reportingComponent,
      firstTimestamp: e.firstTimestamp ?? '',
      lastTimestamp: e.lastTimestamp,
      count: e.count,
    }));
}

/** The fields of an Event the API server can select on (its event field label conversion). */
const FIELDS: Record<string, (e: Event) => string | undefined> = {
  'involvedObject.kind': (e) => e.involvedObject.kind,
  'involvedObject.namespace': (e) => e.involvedObject.namespace,
  'involvedObject.name': (e) => e.involvedObject.name,
  'involvedObject.uid': (e) => e.involvedObject.uid,
  'involvedObject.apiVersion': (e) => e.involvedObject.apiVersion,
  'involvedObject.resourceVersion': (e) => e.involvedObject.resourceVersion,
  'involvedObject.fieldPath': (e) => e.involvedObject.fieldPath,
  reason: (e) => e.reason,
  reportingComponent: (e) => e.reportingComponent,
  source: (e) => e.source?.component,
  type: (e) => e.type,
  'metadata.name': (e) => e.metadata.name,
  'metadata.namespace': (e) => e.metadata.namespace,
};

/**
 * `--field-selector`: `field=value`, `field==value` or `field!=value`, joined by commas, all of
 * which must hold. An unknown field is refused as the API server refuses it.
 */
export function parseEventFieldSelector(selector: string): (e: Event) => boolean {
  const terms: { get: (e: Event) => string | undefined; value: string; negate: boolean }[] = [];
  for (const raw of selector.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw usageError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const get = FIELDS[field.trim()];
    if (!get) {
      throw usageError(`Unable to find "/v1, Resource=events" that match label selector "", field selector "${selector}": field label not supported: ${field.trim()}`);
    }
    terms.push({ get, value: value.trim(), negate: op === '!=' });
  }
  return (e) => terms.every((t) => ((t.get(e) ?? '') === t.value) !== t.negate);
}
