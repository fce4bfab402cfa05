// The Collector configs in collector-config/: no YAML library and no Collector binary here, so a
// tiny parser for the YAML subset the files use (block mappings, block lists of scalars,
// comments) checks their structure, and that every pipeline names components that are defined.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

type Node = string | Node[] | { [key: string]: Node };

function parseYamlSubset(text: string, file: string): Node {
  const lines = text
    .split('\n')
    .map((raw, i) => ({ raw, n: i + 1 }))
    .filter(({ raw }) => raw.trim() !== '' && !raw.trim().startsWith('#'));
  for (const { raw, n } of lines) {
    assert.ok(!raw.includes('\t'), `${file}:${n}: tab`);
    const indent = raw.length - raw.trimStart().length;
    assert.equal(indent % 2, 0, `${file}:${n}: indentation not a multiple of 2`);
  }
  let i = 0;
  const indentOf = (k: number) => lines[k]!.raw.length - lines[k]!.raw.trimStart().length;
  const scalar = (s: string) => s.replace(/\s+#.*$/, '').trim();
  function block(indent: number): Node {
    if (lines[i]!.raw.trimStart().startsWith('- ')) {
      const list: Node[] = [];
      while (i < lines.length && indentOf(i) === indent && lines[i]!.raw.trimStart().startsWith('- ')) {
        list.push(scalar(lines[i]!.raw.trimStart().slice(2)));
        i++;
      }
      return list;
    }
    const map: { [key: string]: Node } = {};
    while (i < lines.length && indentOf(i) === indent) {
      const { raw, n } = lines[i]!;
      const m = /^([A-Za-z_][\w/.-]*):(?:\s+(.*))?$/.exec(raw.trimStart());
      assert.ok(m, `${file}:${n}: not a "key:" or "key: value" line: ${raw}`);
      assert.ok(!(m[1]! in map), `${file}:${n}: duplicate key ${m[1]}`);
      i++;
      const value = m[2] === undefined ? '' : scalar(m[2]);
      if (value !== '') map[m[1]!] = value;
      else if (i < lines.length && indentOf(i) > indent) {
        assert.equal(indentOf(i), indent + 2, `${file}:${lines[i]!.n}: over-indented`);
        map[m[1]!] = block(indent + 2);
      } else if (i < lines.length && indentOf(i) === indent && lines[i]!.raw.trimStart().startsWith('- ')) {
        map[m[1]!] = block(indent); // a list at the key's own indentation
      } else map[m[1]!] = '';
    }
    return map;
  }
  const root = block(0);
  assert.equal(i, lines.length, `${file}:${lines[i]?.n}: unexpected indentation`);
  return root;
}

const obj = (node: Node | undefined, what: string): { [key: string]: Node } => {
  assert.ok(node !== undefined && typeof node === 'object' && !Array.isArray(node), `${what} is not a mapping`);
  return node;
};

function load(name: string) {
  const file = `collector-config/${name}`;
  return obj(parseYamlSubset(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), file), file);
}

function checkPipelines(config: { [key: string]: Node }, expected: Record<string, string[]>) {
  const pipelines = obj(obj(config.service, 'service').pipelines, 'service.pipelines');
  assert.deepEqual(Object.keys(pipelines).sort(), Object.keys(expected).sort());
  for (const [name, exporters] of Object.entries(expected)) {
    const p = obj(pipelines[name], name);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const list = p[kind];
      assert.ok(Array.isArray(list) && list.length > 0, `${name}.${kind} is a non-empty list`);
      const defined = obj(config[kind], kind);
      for (const id of list as string[]) assert.ok(id in defined, `${name}.${kind}: ${id} is not defined under ${kind}`);
    }
    assert.deepEqual(p.processors, ['memory_limiter', 'batch'], `${name}: memory_limiter first, then batch`);
    assert.deepEqual(p.exporters, exporters);
  }
}

describe('collector-config', () => {
  it('agent.yaml: OTLP in on 4317/4318, otlphttp + prometheus + debug out, metrics and logs pipelines', () => {
    const c = load('agent.yaml');
    const protocols = obj(obj(obj(c.receivers, 'receivers').otlp, 'otlp').protocols, 'protocols');
    assert.equal(obj(protocols.grpc, 'grpc').endpoint, '0.0.0.0:4317');
    assert.equal(obj(protocols.http, 'http').endpoint, '0.0.0.0:4318');
    const exporters = obj(c.exporters, 'exporters');
    assert.equal(obj(exporters.otlphttp, 'otlphttp').endpoint, '${env:BACKEND_OTLP_ENDPOINT}');
    const prom = obj(exporters.prometheus, 'prometheus');
    assert.equal(prom.endpoint, '0.0.0.0:8889');
    assert.equal(obj(prom.resource_to_telemetry_conversion, 'conversion').enabled, 'true');
    assert.ok('debug' in exporters);
    const limiter = obj(obj(c.processors, 'processors').memory_limiter, 'memory_limiter');
    assert.ok('check_interval' in limiter && 'limit_percentage' in limiter && 'spike_limit_percentage' in limiter);
    checkPipelines(c, { metrics: ['otlphttp', 'prometheus', 'debug'], logs: ['otlphttp', 'debug'] });
  });

  it('gateway.yaml: loadbalancing by service to a static list of backend collectors', () => {
    const c = load('gateway.yaml');
    const lb = obj(obj(c.exporters, 'exporters').loadbalancing, 'loadbalancing');
    assert.equal(lb.routing_key, 'service');
    assert.ok('otlp' in obj(lb.protocol, 'protocol'));
    const hostnames = obj(obj(lb.resolver, 'resolver').static, 'static').hostnames;
    assert.ok(Array.isArray(hostnames) && hostnames.length >= 2);
    for (const h of hostnames as string[]) assert.match(h, /^[\w.-]+:\d+$/);
    checkPipelines(c, { metrics: ['loadbalancing'], logs: ['loadbalancing', 'debug'] });
  });

  it('the parser refuses what the files must not contain', () => {
    assert.throws(() => parseYamlSubset('a:\n\tb: 1\n', 't'), /tab/);
    assert.throws(() => parseYamlSubset('a:\n   b: 1\n', 't'), /multiple of 2/);
    assert.throws(() => parseYamlSubset('a: 1\na: 2\n', 't'), /duplicate/);
    assert.throws(() => parseYamlSubset('a:\n    b: 1\n', 't'), /over-indented/);
  });
});
