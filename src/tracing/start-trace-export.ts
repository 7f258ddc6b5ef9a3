import type { HeraldConfig } from '../config/herald-config';

/** A started export, flushed and stopped at shutdown. */
export interface TraceExport {
  /** Sends the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * The standalone service's trace export: with an OTLP endpoint configured, registers an
 * OpenTelemetry SDK (a NodeTracerProvider with a batching OTLP/HTTP exporter) for Herald's spans
 * to be recorded by; without one, loads none of it and returns undefined. The package itself
 * never registers an SDK: its host does, as this service does here.
 */
export async function startTraceExport(
  config: Pick<HeraldConfig, 'otlpEndpoint' | 'otlpTracesEndpoint' | 'serviceName'>,
): Promise<TraceExport | undefined> {
  const url =
    config.otlpTracesEndpoint ??
    (config.otlpEndpoint && `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`);
  if (!url) return undefined;
  // Loaded only when exporting: a service without an endpoint pays nothing for them.
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // The AsyncLocalStorage context manager and the W3C propagators, as well as the provider.
  provider.register();
  return provider;
}
