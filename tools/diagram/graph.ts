/**
 * Builds a Graphviz DOT diagram of the deployed resources from a synthesized CloudFormation template.
 *
 * Nodes are the resources a reader cares about (state machines, functions, buckets, the key, the schedule, alarms,
 * the dashboard) plus the things the stack only reaches by ARN (the admin secret, the credential secrets, SES, the
 * event bus). IAM roles, policies and bucket policies are not drawn: they become the edges. An edge A → B means A's
 * role is granted actions on B, or A's properties reference B (a Ref or Fn::GetAtt). Log groups are summarized in
 * one node. Every list is sorted, so the same template always gives the same text.
 */

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

interface Node {
  id: string;
  label: string;
  shape: string;
  cluster?: string;
}

/** Types that are drawn as edges or summarized, never as their own node. */
const NOT_DRAWN = new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::S3::BucketPolicy', 'AWS::CDK::Metadata', 'AWS::Logs::LogGroup', 'AWS::Lambda::Permission']);

const SHAPES: Record<string, string> = {
  'AWS::StepFunctions::StateMachine': 'box3d',
  'AWS::Lambda::Function': 'component',
  'AWS::S3::Bucket': 'cylinder',
  'AWS::KMS::Key': 'octagon',
  'AWS::Scheduler::Schedule': 'cds',
  'AWS::CloudWatch::Alarm': 'house',
  'AWS::CloudWatch::Dashboard': 'tab',
  'AWS::SNS::Topic': 'parallelogram',
  'AWS::Events::EventBus': 'hexagon',
};

const SERVICE: Record<string, string> = {
  'AWS::StepFunctions::StateMachine': 'Step Functions',
  'AWS::Lambda::Function': 'Lambda',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::KMS::Key': 'KMS key',
  'AWS::Scheduler::Schedule': 'EventBridge Scheduler',
  'AWS::CloudWatch::Alarm': 'CloudWatch alarm',
  'AWS::CloudWatch::Dashboard': 'CloudWatch dashboard',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::Events::EventBus': 'EventBridge bus',
};

/** `RotatorAssessApp7241DDC2` → `AssessApp`: the construct id without the scope prefix and the hash. */
function constructName(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '').replace(/^Rotator(?=[A-Z])/, '');
}

/** `ApicCredentialRotator-C784F3A1-rotation` → `rotation`. */
function stateMachineName(props: Record<string, unknown>): string | undefined {
  return typeof props.StateMachineName === 'string' ? props.StateMachineName.split('-').pop() : undefined;
}

/** `AssessApp` → `assess-app`. */
function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function nodeId(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The logical ids a value references with Ref or Fn::GetAtt (pseudo parameters excluded). */
function references(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) references(item, out);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string' && !record.Ref.startsWith('AWS::')) out.add(record.Ref);
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') out.add(getAtt[0]);
    for (const [key, inner] of Object.entries(record)) if (key !== 'Ref' && key !== 'Fn::GetAtt') references(inner, out);
  }
  return out;
}

/** An ARN as text, with every intrinsic replaced by `*` (enough to read the service and the resource part). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return (join[1] as unknown[]).map(flatten).join(String(join[0]));
  }
  return '*';
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

export function buildDot(template: CfnTemplate, title = 'Deployed resources'): string {
  const resources = template.Resources ?? {};
  const logicalIds = Object.keys(resources).sort();
  const nodes = new Map<string, Node>();
  /** logical id → node id, for the resources drawn as nodes. */
  const drawn = new Map<string, string>();
  const edges = new Set<string>();
  const addEdge = (from: string | undefined, to: string | undefined, label = '') => {
    if (from === undefined || to === undefined || from === to) return;
    edges.add(JSON.stringify([from, to, label]));
  };

  // Nodes for the resources in the template.
  const others = new Map<string, number>();
  for (const logicalId of logicalIds) {
    const resource = resources[logicalId];
    if (resource === undefined || NOT_DRAWN.has(resource.Type)) continue;
    const service = SERVICE[resource.Type];
    if (service === undefined) {
      others.set(resource.Type, (others.get(resource.Type) ?? 0) + 1);
      continue;
    }
    const name = constructName(logicalId);
    let label = `${service}\n${name}`;
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      label = `${service}\n${stateMachineName(props) ?? name} state machine`;
    } else if (resource.Type === 'AWS::Lambda::Function') {
      label = kebab(name);
    } else if (resource.Type === 'AWS::Scheduler::Schedule') {
      label = `${service}\n${String(props.ScheduleExpression)} ${String(props.ScheduleExpressionTimezone ?? 'UTC')}\nstate: ${String(props.State ?? 'ENABLED')}`;
    }
    let id = nodeId(`${resource.Type.split('::')[1] ?? ''}_${name}`).toLowerCase();
    if (resource.Type === 'AWS::Lambda::Function') id = `fn_${nodeId(kebab(name))}`;
    if (resource.Type === 'AWS::StepFunctions::StateMachine') id = `sfn_${nodeId(kebab(stateMachineName(props) ?? name))}`;
    nodes.set(id, { id, label, shape: SHAPES[resource.Type] ?? 'box' });
    drawn.set(logicalId, id);
  }

  // Log groups, summarized.
  const logGroups = logicalIds.filter((id) => resources[id]?.Type === 'AWS::Logs::LogGroup');
  if (logGroups.length > 0) {
    const retention = [...new Set(logGroups.map((id) => resources[id]?.Properties?.RetentionInDays).filter((days) => days !== undefined))].sort();
    nodes.set('log_groups', {
      id: 'log_groups',
      label: `CloudWatch Logs\n${logGroups.length} log groups${retention.length > 0 ? `, ${retention.join('/')} days` : ''}\n(one per function and state machine)`,
      shape: 'folder',
    });
    for (const id of logGroups) for (const ref of references(resources[id]?.Properties)) addEdge('log_groups', drawn.get(ref));
  }

  // Who owns each IAM role: the function, state machine or schedule that runs with it.
  const roleOwners = new Map<string, string[]>();
  for (const logicalId of logicalIds) {
    const resource = resources[logicalId];
    const owner = drawn.get(logicalId);
    if (resource === undefined || owner === undefined) continue;
    const props = resource.Properties ?? {};
    const roleRefs = [props.Role, props.RoleArn, (props.Target as Record<string, unknown> | undefined)?.RoleArn].flatMap((value) => [...references(value)]);
    for (const role of roleRefs) roleOwners.set(role, [...(roleOwners.get(role) ?? []), owner]);
  }

  // Targets only reachable by ARN: secrets, SES identities, event buses.
  const arnTarget = (arn: string): string | undefined => {
    const secret = /:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(arn)?.[1];
    if (secret !== undefined) {
      if (secret.endsWith('-??????')) {
        const name = secret.slice(0, -'-??????'.length);
        const id = `secret_${nodeId(name)}`;
        nodes.set(id, { id, label: `Secrets Manager\nadmin secret\n${name}\n(created before deploy)`, shape: 'note' });
        return id;
      }
      if (secret.endsWith('*')) {
        const id = `secrets_${nodeId(secret)}`;
        nodes.set(id, { id, label: `Secrets Manager\ncredential secrets\n${secret}`, shape: 'note' });
        return id;
      }
      return undefined;
    }
    if (/:ses:[^:]*:[^:]*:identity\//.test(arn)) {
      nodes.set('ses', { id: 'ses', label: 'SES\nverified sender identity', shape: 'hexagon' });
      return 'ses';
    }
    const bus = /:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(arn)?.[1];
    if (bus !== undefined) {
      const id = `event_bus_${nodeId(bus)}`;
      nodes.set(id, { id, label: `EventBridge\n${bus} event bus`, shape: 'hexagon' });
      return id;
    }
    return undefined;
  };

  // Edges from IAM grants.
  for (const logicalId of logicalIds) {
    const resource = resources[logicalId];
    if (resource?.Type !== 'AWS::IAM::Policy') continue;
    const props = resource.Properties ?? {};
    const owners = [...references(props.Roles)].flatMap((role) => roleOwners.get(role) ?? []);
    const statements = asArray((props.PolicyDocument as Record<string, unknown> | undefined)?.Statement);
    for (const statement of statements) {
      const { Effect, Action, Resource } = (statement ?? {}) as Record<string, unknown>;
      if (Effect !== 'Allow') continue;
      const actions = asArray(Action).map(String);
      if (actions.every((action) => action.startsWith('logs:') || action.startsWith('xray:'))) continue;
      const label = actions.some((action) => action === 'lambda:InvokeFunction') ? 'invokes' : actions.some((action) => action === 'states:StartExecution') ? 'starts' : '';
      for (const target of asArray(Resource)) {
        const refs = [...references(target)].map((ref) => drawn.get(ref)).filter((id): id is string => id !== undefined);
        const targets = refs.length > 0 ? refs : [arnTarget(flatten(target))];
        for (const owner of owners) for (const to of targets) addEdge(owner, to, label);
      }
    }
  }

  // Edges from references in the drawn resources' own properties (environment, alarm metrics, dashboard, logging).
  for (const [logicalId, from] of drawn) {
    for (const ref of references(resources[logicalId]?.Properties)) {
      const to = drawn.get(ref);
      if (to === undefined || [...edges].some((edge) => edge.startsWith(JSON.stringify([from, to]).slice(0, -1)))) continue;
      addEdge(from, to);
    }
  }

  for (const [type, count] of [...others].sort()) {
    const id = nodeId(`other_${type}`).toLowerCase();
    nodes.set(id, { id, label: `${count} × ${type}`, shape: 'box' });
  }

  // Each state machine's cluster holds it and the functions it invokes.
  const clusters = new Map<string, string>();
  for (const edge of edges) {
    const [from, to, label] = JSON.parse(edge) as [string, string, string];
    if (label === 'invokes' && to.startsWith('fn_')) {
      const node = nodes.get(to);
      if (node !== undefined && node.cluster === undefined) node.cluster = from;
      const sm = nodes.get(from);
      if (sm !== undefined) {
        sm.cluster = from;
        clusters.set(from, sm.label.split('\n').pop() ?? from);
      }
    }
  }

  const nodeLine = (node: Node, indent: string) => `${indent}${node.id} [label=${quote(node.label)}, shape=${node.shape}];`;
  const lines = [
    `digraph ${quote(title)} {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.9, labelloc=t, label=' + quote(`${title} (generated from the synthesized template by npm run diagram)`) + '];',
    '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#f5f5f5"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
  ];
  const sortedNodes = [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const [cluster, label] of [...clusters].sort()) {
    lines.push(`  subgraph ${quote(`cluster_${cluster}`)} {`, `    label=${quote(label.replace(/ state machine$/, ' workflow'))};`, '    style=rounded;');
    for (const node of sortedNodes.filter((candidate) => candidate.cluster === cluster)) lines.push(nodeLine(node, '    '));
    lines.push('  }');
  }
  for (const node of sortedNodes.filter((candidate) => candidate.cluster === undefined)) lines.push(nodeLine(node, '  '));
  const sortedEdges = [...edges].map((edge) => JSON.parse(edge) as [string, string, string]).sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')));
  const edgeAttributes = (to: string, label: string): string => {
    // Invocations are the workflow's spine; encryption is everywhere, so it is drawn faint.
    if (label === 'invokes') return ' [color="#1f5fa8", penwidth=1.4]';
    if (label !== '') return ` [label=${quote(label)}, color="#1f5fa8", penwidth=1.4]`;
    if (nodes.get(to)?.shape === SHAPES['AWS::KMS::Key']) return ' [style=dashed, color="#aaaaaa"]';
    return '';
  };
  for (const [from, to, label] of sortedEdges) lines.push(`  ${from} -> ${to}${edgeAttributes(to, label)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
