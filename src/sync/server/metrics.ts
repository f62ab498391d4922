// The server's Prometheus metrics, in a registry of its own (several servers in one process, as in
// tests, do not share counters). Names are prefixed `cairn_`.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'cairn_http_requests_total',
    help: 'HTTP requests answered, by endpoint and status',
    labelNames: ['endpoint', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'cairn_http_request_duration_seconds',
    help: 'Time from request start to response end, by endpoint',
    labelNames: ['endpoint'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'cairn_http_received_bytes_total',
    help: 'Request body bytes received',
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({ name: 'cairn_http_sent_bytes_total', help: 'Response body bytes sent', registers: [this.registry] });
  readonly objectsReceived = new Counter({
    name: 'cairn_objects_received_total',
    help: 'Objects received by pushes, verified and quarantined',
    registers: [this.registry],
  });
  readonly objectsSent = new Counter({
    name: 'cairn_objects_sent_total',
    help: 'Objects sent to fetches and clones',
    registers: [this.registry],
  });
  readonly refConflicts = new Counter({
    name: 'cairn_ref_update_conflicts_total',
    help: 'Pushes refused because a ref moved or the update was not a fast-forward',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'cairn_http_rejected_total',
    help: 'Requests refused before work: auth, limits, overload',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cairn_' });
  }
}
