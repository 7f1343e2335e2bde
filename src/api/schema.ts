// The shape of every supported object, field by field, as a compact table. The API server
// decodes strictly: an unknown field or a value of the wrong type is an error before any rule
// is checked, and checkSchema does the same here. Fields are those of Kubernetes v1 up to 1.33;
// parts that podrun never reads (affinity, cloud volume sources, ...) are opaque objects.

import { ValidationError } from '../errors';
import { child, index, key, showValue, type ErrorList } from './field-errors';
import { parseQuantity } from './quantity';

/** A scalar kind, an opaque object ('object'), anything ('any'), or a struct, list or string-keyed map. */
export type Schema =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  /** IntOrString: probe and service ports. */
  | 'intOrString'
  /** resource.Quantity: a string or number that parses as a quantity. */
  | 'quantity'
  /** Any JSON object; its content is not checked. */
  | 'object'
  | 'any'
  | StructSchema
  | ListSchema
  | MapSchema;

export interface StructSchema {
  readonly fields: Readonly<Record<string, Schema>>;
}
export interface ListSchema {
  readonly items: Schema;
}
export interface MapSchema {
  readonly values: Schema;
}

const struct = (fields: Record<string, Schema>): StructSchema => ({ fields });
const list = (items: Schema): ListSchema => ({ items });
const dict = (values: Schema): MapSchema => ({ values });

const S = 'string';
const I = 'integer';
const B = 'boolean';
const Q = 'quantity';
const IOS = 'intOrString';
const OPAQUE = 'object';
const strings = list(S);
const stringMap = dict(S);

// ---- meta/v1

export const objectMeta = struct({
  name: S,
  generateName: S,
  namespace: S,
  uid: S,
  resourceVersion: S,
  generation: I,
  selfLink: S,
  creationTimestamp: S,
  deletionTimestamp: S,
  deletionGracePeriodSeconds: I,
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: list(
    struct({ apiVersion: S, kind: S, name: S, uid: S, controller: B, blockOwnerDeletion: B }),
  ),
  finalizers: strings,
  managedFields: list(OPAQUE),
});

// ---- selectors shared by env and downward API volumes

const objectFieldSelector = struct({ apiVersion: S, fieldPath: S });
const resourceFieldSelector = struct({ containerName: S, resource: S, divisor: Q });
const keySelector = struct({ name: S, key: S, optional: B });
const localObjectReference = struct({ name: S });

// ---- container

const envVar = struct({
  name: S,
  value: S,
  valueFrom: struct({
    fieldRef: objectFieldSelector,
    resourceFieldRef: resourceFieldSelector,
    configMapKeyRef: keySelector,
    secretKeyRef: keySelector,
    fileKeyRef: struct({ volumeName: S, path: S, key: S, optional: B }),
  }),
});

const envFromSource = struct({
  prefix: S,
  configMapRef: struct({ name: S, optional: B }),
  secretRef: struct({ name: S, optional: B }),
});

const containerPort = struct({ name: S, hostPort: I, containerPort: I, protocol: S, hostIP: S });

const resourceRequirements = struct({
  limits: dict(Q),
  requests: dict(Q),
  claims: list(struct({ name: S, request: S })),
});

const volumeMount = struct({
  name: S,
  readOnly: B,
  recursiveReadOnly: S,
  mountPath: S,
  subPath: S,
  mountPropagation: S,
  subPathExpr: S,
});

const volumeDevice = struct({ name: S, devicePath: S });

const execAction = struct({ command: strings });
const httpGetAction = struct({
  path: S,
  port: IOS,
  host: S,
  scheme: S,
  httpHeaders: list(struct({ name: S, value: S })),
});
const tcpSocketAction = struct({ port: IOS, host: S });
const grpcAction = struct({ port: I, service: S });
const sleepAction = struct({ seconds: I });

/** The handler kinds of a probe, in the order the API server checks them. */
export const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
/** The handler kinds of a lifecycle hook. */
export const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

const probe = struct({
  exec: execAction,
  httpGet: httpGetAction,
  tcpSocket: tcpSocketAction,
  grpc: grpcAction,
  initialDelaySeconds: I,
  timeoutSeconds: I,
  periodSeconds: I,
  successThreshold: I,
  failureThreshold: I,
  terminationGracePeriodSeconds: I,
});

const lifecycleHandler = struct({ exec: execAction, httpGet: httpGetAction, tcpSocket: tcpSocketAction, sleep: sleepAction });
const lifecycle = struct({ postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: S });

const seLinuxOptions = struct({ user: S, role: S, type: S, level: S });
const windowsOptions = struct({ gmsaCredentialSpecName: S, gmsaCredentialSpec: S, runAsUserName: S, hostProcess: B });
const profile = struct({ type: S, localhostProfile: S });

const securityContext = struct({
  capabilities: struct({ add: strings, drop: strings }),
  privileged: B,
  seLinuxOptions,
  windowsOptions,
  runAsUser: I,
  runAsGroup: I,
  runAsNonRoot: B,
  readOnlyRootFilesystem: B,
  allowPrivilegeEscalation: B,
  procMount: S,
  seccompProfile: profile,
  appArmorProfile: profile,
});

const containerFields: Record<string, Schema> = {
  name: S,
  image: S,
  command: strings,
  args: strings,
  workingDir: S,
  ports: list(containerPort),
  envFrom: list(envFromSource),
  env: list(envVar),
  resources: resourceRequirements,
  resizePolicy: list(struct({ resourceName: S, restartPolicy: S })),
  restartPolicy: S,
  restartPolicyRules: list(struct({ action: S, exitCodes: struct({ operator: S, values: list(I) }) })),
  volumeMounts: list(volumeMount),
  volumeDevices: list(volumeDevice),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle,
  terminationMessagePath: S,
  terminationMessagePolicy: S,
  imagePullPolicy: S,
  securityContext,
  stdin: B,
  stdinOnce: B,
  tty: B,
};

export const container = struct(containerFields);
export const ephemeralContainer = struct({ ...containerFields, targetContainerName: S });

// ---- volumes

const keyToPath = struct({ key: S, path: S, mode: I });
const downwardAPIVolumeFile = struct({
  path: S,
  fieldRef: objectFieldSelector,
  resourceFieldRef: resourceFieldSelector,
  mode: I,
});

/** Volume sources podrun understands field by field; the others are accepted as opaque objects. */
const knownVolumeSources: Record<string, Schema> = {
  emptyDir: struct({ medium: S, sizeLimit: Q }),
  hostPath: struct({ path: S, type: S }),
  configMap: struct({ name: S, items: list(keyToPath), defaultMode: I, optional: B }),
  secret: struct({ secretName: S, items: list(keyToPath), defaultMode: I, optional: B }),
  downwardAPI: struct({ items: list(downwardAPIVolumeFile), defaultMode: I }),
  projected: struct({
    sources: list(
      struct({
        secret: struct({ name: S, items: list(keyToPath), optional: B }),
        configMap: struct({ name: S, items: list(keyToPath), optional: B }),
        downwardAPI: struct({ items: list(downwardAPIVolumeFile) }),
        serviceAccountToken: struct({ audience: S, expirationSeconds: I, path: S }),
        clusterTrustBundle: OPAQUE,
      }),
    ),
    defaultMode: I,
  }),
  persistentVolumeClaim: struct({ claimName: S, readOnly: B }),
  ephemeral: OPAQUE,
  image: struct({ reference: S, pullPolicy: S }),
};

const opaqueVolumeSources = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'iscsi',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
] as const;

const volumeSources: Record<string, Schema> = { ...knownVolumeSources };
for (const name of opaqueVolumeSources) volumeSources[name] = OPAQUE;

/** Every field of a Volume other than `name`; exactly one of them must be set. */
export const VOLUME_SOURCES: readonly string[] = Object.keys(volumeSources);

export const volume = struct({ name: S, ...volumeSources });

// ---- pod

const podSecurityContext = struct({
  seLinuxOptions,
  windowsOptions,
  runAsUser: I,
  runAsGroup: I,
  runAsNonRoot: B,
  supplementalGroups: list(I),
  supplementalGroupsPolicy: S,
  fsGroup: I,
  sysctls: list(struct({ name: S, value: S })),
  fsGroupChangePolicy: S,
  seccompProfile: profile,
  appArmorProfile: profile,
  seLinuxChangePolicy: S,
});

const toleration = struct({ key: S, operator: S, value: S, effect: S, tolerationSeconds: I });

export const podSpec = struct({
  volumes: list(volume),
  initContainers: list(container),
  containers: list(container),
  ephemeralContainers: list(ephemeralContainer),
  restartPolicy: S,
  terminationGracePeriodSeconds: I,
  activeDeadlineSeconds: I,
  dnsPolicy: S,
  nodeSelector: stringMap,
  serviceAccountName: S,
  serviceAccount: S,
  automountServiceAccountToken: B,
  nodeName: S,
  hostNetwork: B,
  hostPID: B,
  hostIPC: B,
  shareProcessNamespace: B,
  securityContext: podSecurityContext,
  imagePullSecrets: list(localObjectReference),
  hostname: S,
  subdomain: S,
  setHostnameAsFQDN: B,
  affinity: OPAQUE,
  schedulerName: S,
  tolerations: list(toleration),
  hostAliases: list(struct({ ip: S, hostnames: strings })),
  priorityClassName: S,
  priority: I,
  dnsConfig: struct({ nameservers: strings, searches: strings, options: list(struct({ name: S, value: S })) }),
  readinessGates: list(struct({ conditionType: S })),
  runtimeClassName: S,
  enableServiceLinks: B,
  preemptionPolicy: S,
  overhead: dict(Q),
  topologySpreadConstraints: list(OPAQUE),
  os: struct({ name: S }),
  hostUsers: B,
  schedulingGates: list(struct({ name: S })),
  resourceClaims: list(struct({ name: S, source: OPAQUE, resourceClaimName: S, resourceClaimTemplateName: S })),
  resources: resourceRequirements,
});

// ---- top-level objects

/** Status is written by podrun, never read from a manifest, so any content is tolerated there. */
export const pod = struct({ apiVersion: S, kind: S, metadata: objectMeta, spec: podSpec, status: OPAQUE });

export const configMap = struct({
  apiVersion: S,
  kind: S,
  metadata: objectMeta,
  data: stringMap,
  binaryData: stringMap,
  immutable: B,
});

export const secret = struct({
  apiVersion: S,
  kind: S,
  metadata: objectMeta,
  data: stringMap,
  stringData: stringMap,
  type: S,
  immutable: B,
});

// ---- the walker

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  intOrString: 'an integer or string',
  quantity: 'a string or number',
  object: 'an object',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `value` against `schema`, appending one error per misplaced field or wrong type.
 * A null anywhere counts as absent, as it does when the API server decodes JSON into Go structs.
 */
export function checkSchema(value: unknown, schema: Schema, path: string, errs: ErrorList): void {
  if (value === null || value === undefined) return;
  const wrongType = (what: string): void => {
    errs.push(new ValidationError(path, `Invalid value: ${showValue(value)}: must be ${what}`));
  };
  if (typeof schema === 'string') {
    switch (schema) {
      case 'any':
        return;
      case 'string':
        if (typeof value !== 'string') wrongType(TYPE_NAMES.string);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') wrongType(TYPE_NAMES.boolean);
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) wrongType(TYPE_NAMES.number);
        return;
      case 'integer':
        if (!Number.isSafeInteger(value)) wrongType(TYPE_NAMES.integer);
        return;
      case 'intOrString':
        if (!Number.isSafeInteger(value) && typeof value !== 'string') wrongType(TYPE_NAMES.intOrString);
        return;
      case 'quantity':
        if (typeof value !== 'string' && typeof value !== 'number') wrongType(TYPE_NAMES.quantity);
        else {
          try {
            parseQuantity(value);
          } catch (e) {
            errs.push(new ValidationError(path, (e as ValidationError).detail));
          }
        }
        return;
      case 'object':
        if (!isObject(value)) wrongType(TYPE_NAMES.object);
        return;
    }
  }
  if ('items' in schema) {
    if (!Array.isArray(value)) return wrongType('an array');
    value.forEach((item, i) => {
      // A null element is not absent: it would decode to an empty struct or string.
      if (item === null) errs.push(new ValidationError(index(path, i), `Invalid value: null: must be ${describe(schema.items)}`));
      else checkSchema(item, schema.items, index(path, i), errs);
    });
    return;
  }
  if (!isObject(value)) return wrongType('an object');
  if ('values' in schema) {
    for (const [k, v] of Object.entries(value)) checkSchema(v, schema.values, key(path, k), errs);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const fieldSchema = Object.hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
    if (fieldSchema === undefined) errs.push(new ValidationError(child(path, k), `unknown field ${JSON.stringify(k)}`));
    else checkSchema(v, fieldSchema, child(path, k), errs);
  }
}

function describe(schema: Schema): string {
  if (typeof schema === 'string') return TYPE_NAMES[schema] ?? 'a value';
  return 'items' in schema ? 'an array' : 'an object';
}
