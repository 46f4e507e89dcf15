// npm run new-policy -- MeshFoo: scaffolds a policy kind in the four places its slug lives
// (schemas/, src/policies/, test/policies/; src/generated/ by `npm run gen`).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { kindSlug } from '../src/core/resource.js';

const kind = process.argv[2];
if (!kind || !/^Mesh[A-Z][A-Za-z]+$/.test(kind)) {
  console.error('usage: npm run new-policy -- MeshFoo');
  process.exit(2);
}
const slug = kindSlug(kind);
const camel = kind[0]!.toLowerCase() + kind.slice(1);
if (existsSync(`src/policies/${slug}`)) {
  console.error(`src/policies/${slug} exists already`);
  process.exit(2);
}

const template = JSON.parse(await readFile('schemas/mesh-timeout.schema.json', 'utf8'));
const schema = JSON.parse(JSON.stringify(template).replaceAll('MeshTimeout', kind).replaceAll('mesh-timeout', slug));
schema.description = `TODO: what ${kind} configures (Kuma ${kind}).`;
schema.$defs.Conf = { title: `${kind}Conf`, type: 'object', properties: {}, additionalProperties: false };

const files: Record<string, string> = {
  [`schemas/${slug}.schema.json`]: JSON.stringify(schema, null, 2) + '\n',
  [`src/policies/${slug}/index.ts`]: `// ${kind}: TODO one line on what it configures.
import { schemaId } from '../../core/resource.js';
import type { ${kind}Spec } from '../../generated/${slug}.js';
import type { PolicyModule } from '../types.js';
import { validate${kind} } from './validate.js';

export const ${camel}: PolicyModule<${kind}Spec> = {
  kind: '${kind}' as PolicyModule['kind'],
  order: 0, // TODO: Kuma's +kuma:policy:order
  schemaId: schemaId('${kind}'),
  targetRefs: { top: ['Mesh', 'Dataplane'], to: ['Mesh', 'MeshService'] },
  validate: validate${kind},
};
`,
  [`src/policies/${slug}/validate.ts`]: `// ${kind} rules beyond the schema.
import type { Finding } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type { ${kind}Spec } from '../../generated/${slug}.js';
import { sectionRules } from '../sections.js';

export function validate${kind}(resource: Resource<${kind}Spec>): Finding[] {
  return sectionRules(resource.spec, { requireOneOf: ['to', 'from', 'rules'] });
}
`,
  [`test/policies/${slug}/${slug}.test.ts`]: `import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('${slug}');
test.run();
`,
  [`test/policies/${slug}/cases/valid-basic.yaml`]: `type: ${kind}
name: basic
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default: {}
`,
};
for (const [path, text] of Object.entries(files)) {
  await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  await writeFile(path, text);
  console.log(`created ${path}`);
}
console.log(`\nNext: add '${kind}' to KINDS (src/core/resource.ts), run \`npm run gen\`, register \`${camel}\` in src/policies/registry.ts, and add invalid-*.yaml cases.`);
