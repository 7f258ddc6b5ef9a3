// A plain ES module, as a consumer writes one: the client alone, imported by the package's name.
// Prints the first event after `after` as one JSON line, then exits.
import { HeraldClient } from 'nestjs-herald/client';

const [baseUrl, apiKey, after] = process.argv.slice(2);
const client = new HeraldClient({ baseUrl, apiKey, after, topics: ['order.*'], wait: 20 });
const signal = AbortSignal.timeout(30_000);
for await (const event of client.events(signal)) {
  console.log(JSON.stringify(event));
  break;
}
