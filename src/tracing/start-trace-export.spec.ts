import { startTraceExport } from './start-trace-export';

const SDK_PACKAGES = ['@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http'];

describe('startTraceExport', () => {
  // Loading either package fails the export, so a test can tell whether it was loaded.
  beforeEach(() => {
    for (const name of SDK_PACKAGES)
      jest.doMock(name, () => {
        throw new Error(`${name} was loaded`);
      });
  });
  afterEach(() => {
    for (const name of SDK_PACKAGES) jest.dontMock(name);
  });

  it('loads no SDK package and exports nothing without an endpoint', async () => {
    await expect(
      startTraceExport({
        otlpEndpoint: undefined,
        otlpTracesEndpoint: undefined,
        serviceName: 'herald',
      }),
    ).resolves.toBeUndefined();
  });

  it('loads them with one', async () => {
    await expect(
      startTraceExport({
        otlpEndpoint: 'http://127.0.0.1:4318',
        otlpTracesEndpoint: undefined,
        serviceName: 'herald',
      }),
    ).rejects.toThrow('was loaded');
  });
});
