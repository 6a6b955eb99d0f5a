// N sequential GETs on one keep-alive connection, each checked for a 2xx
// (bench/protect/run.sh CALLGRIND mode).
//   node bench/protect/requests.mjs URL N [HEADER]
import * as http from 'node:http';

const [url, n, header] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const headers = {};
if (header) {
  const i = header.indexOf(':');
  headers[header.slice(0, i)] = header.slice(i + 1).trim();
}
for (let i = 0; i < Number(n); i += 1) {
  const status = await new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
  if (status < 200 || status > 299) throw new Error(`${url}: ${status}`);
}
agent.destroy();
