// Kubernetes fields newer than kubernetes-types 1.30 (the newest published), typed here once.
import type { Container } from 'kubernetes-types/core/v1';

/** A container's restartPolicyRules entry (ContainerRestartRules: alpha in 1.34, beta in 1.35). */
export interface ContainerRestartRule {
  action: 'Restart';
  exitCodes?: { operator: 'In' | 'NotIn'; values: number[] };
}

export type ContainerWithRules = Container & { restartPolicyRules?: ContainerRestartRule[] };

/** env[].valueFrom.fileKeyRef (EnvFiles, alpha in 1.34): a key of an env file in an emptyDir volume. */
export interface FileKeySelector {
  volumeName: string;
  path: string;
  key: string;
  optional?: boolean;
}
