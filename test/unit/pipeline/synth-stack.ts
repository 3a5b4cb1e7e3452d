/**
 * Builds a PipelineStack the way `cdk synth` does (cdk.json's context), but fast: bundling
 * skipped and the built-in CloudFormation validation off, unless a test asks for them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { shopPipeline } from '../../../lib/definition/shop.ts';
import type { PipelineDefinition } from '../../../lib/definition/types.ts';
import { PROJECT_ROOT } from '../../../lib/pipeline/bundled-function.ts';
import { PipelineStack, type PipelineStackProps } from '../../../lib/pipeline/pipeline-stack.ts';

/** cdk.json's context: in-process synthesis does not read cdk.json. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** Options of {@link synthPipelineStack}. */
export interface SynthOptions extends Partial<PipelineStackProps> {
  /** Bundle the functions with esbuild. @default false */
  readonly bundle?: boolean;
  /** Run the built-in CloudFormation validation. @default false */
  readonly cfnValidation?: boolean;
  /** Assembly output directory. @default - a temporary directory */
  readonly outdir?: string;
}

/** The stack and its template. */
export interface SynthesizedStack {
  readonly app: App;
  readonly stack: PipelineStack;
  readonly template: Template;
}

/** Builds the shop's pipeline stack (or `options.definition`'s) and synthesizes its template. */
export function synthPipelineStack(options: SynthOptions = {}): SynthesizedStack {
  const { bundle = false, cfnValidation = false, outdir, ...props } = options;
  const app = new App({
    outdir,
    builtinCloudFormationValidation: cfnValidation,
    context: {
      ...CDK_JSON_CONTEXT,
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new PipelineStack(app, 'TestPipeline', {
    definition: shopPipeline,
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Builds a stack without synthesizing it, for tests that expect synthesis to fail. */
export function buildPipelineStack(definition: PipelineDefinition): {
  app: App;
  stack: PipelineStack;
} {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
  return { app, stack: new PipelineStack(app, 'TestPipeline', { definition }) };
}

/**
 * Turns a resolved CloudFormation string (`Fn::Join` of literals and intrinsics) into a plain
 * string, each intrinsic rendered as `<Ref:LogicalId>` or `<GetAtt:LogicalId.Attr>`.
 */
export function renderIntrinsics(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(renderIntrinsics).join(separator);
  }
  if ('Ref' in object) {
    return `<Ref:${String(object.Ref)}>`;
  }
  if ('Fn::GetAtt' in object) {
    return `<GetAtt:${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return `<${JSON.stringify(object)}>`;
}
