/**
 * The house rules, checked by `npm run lint:deps` (part of `npm test`): layers point one way.
 *
 *   common <- domain <- protocol | config <- orm <- adapters <- services <- temporal <- activities <- api <- app
 *   (no Temporal SDK below temporal/: services are use cases, activities/ wrap them)
 *   workflows: domain, common, temporal's ids/messages/failures, the bundle-safe config defaults, and activity/service types only;
 *   nobody but the worker loads workflow code (clients: type-only imports and temporal/messages.ts)
 *   sim: protocol, common and config/simulators.ts (its defaults) only;  web (console): domain only
 *
 * See README "Architecture" for what each folder holds.
 */
const SRC = '^(common|config|domain|protocol|orm|adapters|services|temporal|activities|workflows|api|app|sim|scripts|bench|test|web)/';
const any = (...dirs) => `^(${dirs.join('|')})/`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles.', from: { path: '^(?!web/)' }, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    { name: 'common-imports-nothing-above', severity: 'error', from: { path: '^common/' }, to: { path: SRC, pathNot: '^common/' } },
    { name: 'domain-is-pure', severity: 'error', comment: 'domain/ holds pure, bundle-safe rules: it imports only common/ and itself.', from: { path: '^domain/', pathNot: '\\.test\\.ts$' }, to: { path: SRC, pathNot: '^(domain|common)/' } },
    { name: 'domain-no-node-builtins', severity: 'error', comment: 'domain/ is imported by workflows and the console: no Node built-ins.', from: { path: '^domain/', pathNot: '\\.test\\.ts$' }, to: { dependencyTypes: ['core'] } },
    { name: 'protocol-is-low', severity: 'error', comment: 'Wire formats shared with the simulators import only common/.', from: { path: '^protocol/' }, to: { path: SRC, pathNot: '^(protocol|common)/' } },
    { name: 'config-is-low', severity: 'error', from: { path: '^config/' }, to: { path: SRC, pathNot: '^(config|common|domain)/' } },
    { name: 'orm-below-services', severity: 'error', from: { path: '^orm/' }, to: { path: any('adapters', 'services', 'temporal', 'activities', 'workflows', 'api', 'app', 'scripts', 'sim', 'test', 'bench', 'web') } },
    { name: 'adapters-below-services', severity: 'error', comment: 'An adapter talks to one outside system; it knows no use case, process or route.', from: { path: '^adapters/', pathNot: '\\.test\\.ts$' }, to: { path: any('orm', 'services', 'temporal', 'activities', 'workflows', 'api', 'app', 'scripts', 'sim', 'test', 'bench', 'web') } },
    { name: 'services-below-temporal', severity: 'error', comment: 'Use cases are transactions; processes are started by temporal/ clients above them (workflow IDs excepted: a bill row names its process).', from: { path: '^services/', pathNot: '\\.test\\.ts$' }, to: { pathNot: '^temporal/ids\\.ts$', path: any('temporal', 'activities', 'workflows', 'api', 'app', 'scripts', 'sim', 'test', 'bench', 'web') } },
    {
      name: 'use-cases-know-no-temporal',
      severity: 'error',
      comment: 'services/ are use cases (transactions) and everything below them is plain code: no Temporal SDK. Activity wrappers (attempts, heartbeats, ApplicationFailure, logging) live in activities/; a service that needs progress or cancellation takes a callback or an AbortSignal; a refusal is a DomainError (the worker turns it into a failure).',
      from: { path: '^(common|domain|protocol|config|orm|adapters|services)/' },
      to: { path: '^node_modules/@temporalio/' },
    },
    { name: 'temporal-below-activities', severity: 'error', from: { path: '^temporal/', pathNot: '\\.test\\.ts$' }, to: { path: any('activities', 'api', 'app', 'scripts', 'sim', 'test', 'bench', 'web') } },
    { name: 'activities-below-api', severity: 'error', from: { path: '^activities/' }, to: { path: any('api', 'app', 'scripts', 'sim', 'test', 'bench', 'web', 'workflows') } },
    {
      name: 'workflows-deterministic',
      severity: 'error',
      comment: 'Workflows import only domain/, common/, temporal ids/messages/failures, other workflows, the defaults of config/bills.ts and config/fiscal.ts (pure, bundle-safe), and activity or service types.',
      from: { path: '^workflows/' },
      to: { path: SRC, pathNot: '^(workflows|domain|common)/|^temporal/(ids|messages|failures|search-attributes)\\.ts$|^config/(bills|fiscal)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflow-code-stays-in-the-worker',
      severity: 'error',
      comment: 'Only the worker (and its bundle, and tests) loads workflow code. Clients name a workflow by its type name (temporal/workflow-types.ts: a type-only import) and send the messages of temporal/messages.ts.',
      from: { path: SRC, pathNot: '^(workflows|test)/|^app/worker\\.ts$|^scripts/bundle-workflows\\.ts$|\\.test\\.ts$' },
      to: { path: '^workflows/', dependencyTypesNot: ['type-only'] },
    },
    { name: 'workflows-no-node-builtins', severity: 'error', from: { path: '^workflows/' }, to: { dependencyTypes: ['core'] } },
    { name: 'nothing-below-api-imports-api', severity: 'error', from: { pathNot: any('api', 'app', 'scripts', 'test', 'bench') }, to: { path: '^api/' } },
    { name: 'nobody-imports-app-or-scripts', severity: 'error', from: { pathNot: any('app', 'scripts', 'test', 'bench') }, to: { path: '^(app|scripts)/' } },
    { name: 'simulators-speak-protocols', severity: 'error', comment: 'A simulator never imports an adapter or a service: it implements the outside system from the protocol (its standalone defaults come from config/simulators.ts).', from: { path: '^sim/', pathNot: '\\.test\\.ts$' }, to: { path: SRC, pathNot: '^(sim|protocol|common)/|^config/simulators\\.ts$' } },
    { name: 'console-imports-domain-only', severity: 'error', from: { path: '^web/' }, to: { path: SRC, pathNot: '^(web|domain)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Packages are leaves (doNotFollow); the Temporal SDK stays visible so use-cases-know-no-temporal can see it.
    exclude: { path: '^(dist|web/dist)/|^node_modules/(?!@temporalio/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.vue', '.json'] },
    moduleSystems: ['cjs', 'es6'],
  },
};
