/**
 * The CloudFormation resource types LocalStack's free plan deploys.
 *
 * Source: the LocalStack docs page "CloudFormation", section "Resources", table "Community
 * image" (https://docs.localstack.cloud/aws/services/cloudformation/#resources; the page's source
 * is `src/content/docs/aws/services/cloudformation.mdx` in github.com/localstack/localstack-docs,
 * commit 0998e52). Retrieved 2026-11-25. Since March 2026 every LocalStack image needs
 * `LOCALSTACK_AUTH_TOKEN`; the free plan serves what this table lists, and the docs' "Pro image"
 * table lists the paid-only types.
 *
 * What the docs say about the rest matters: "When utilizing the Community image, any resources
 * within the stack that are not supported will be disregarded and won't be deployed", and a future
 * release will fail the whole deployment instead. So a type missing here is either silently absent
 * on LocalStack or breaks `npm run deploy:localstack`; `test/unit/pipeline/localstack-compat.test.ts`
 * keeps the synthesized template inside this list.
 *
 * Paid-only types worth knowing about, deliberately absent: `AWS::ApiGatewayV2::*` (HTTP APIs,
 * which is why the ingest endpoint is a REST API), `AWS::ApiGateway::Authorizer`,
 * `AWS::CloudFormation::CustomResource` (and `Custom::*`), `AWS::Cognito::*`. LocalStack has no
 * `AWS::CloudWatch::Dashboard` provider on any plan (checked in localstack/localstack,
 * `localstack-core/localstack/services/cloudwatch/resource_providers/`: alarm and composite alarm
 * only).
 *
 * When you update this list, re-read the table, keep it sorted and change the date above.
 */
export const LOCALSTACK_FREE_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'AWS::Amplify::Branch',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::BasePathMapping',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::DomainName',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::AutoScaling::LaunchConfiguration',
  'AWS::CDK::Metadata',
  'AWS::CertificateManager::Certificate',
  'AWS::CloudFormation::Macro',
  'AWS::CloudFormation::Stack',
  'AWS::CloudFormation::WaitCondition',
  'AWS::CloudFormation::WaitConditionHandle',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::DynamoDB::GlobalTable',
  'AWS::DynamoDB::Table',
  'AWS::EC2::DHCPOptions',
  'AWS::EC2::Instance',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::KeyPair',
  'AWS::EC2::NatGateway',
  'AWS::EC2::NetworkAcl',
  'AWS::EC2::Route',
  'AWS::EC2::RouteTable',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::Subnet',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::TransitGateway',
  'AWS::EC2::TransitGatewayAttachment',
  'AWS::EC2::VPC',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::ECR::Repository',
  'AWS::Elasticsearch::Domain',
  'AWS::Events::ApiDestination',
  'AWS::Events::Connection',
  'AWS::Events::EventBus',
  'AWS::Events::EventBusPolicy',
  'AWS::Events::Rule',
  'AWS::IAM::AccessKey',
  'AWS::IAM::Group',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Policy',
  'AWS::IAM::Role',
  'AWS::IAM::ServiceLinkedRole',
  'AWS::IAM::User',
  'AWS::KMS::Alias',
  'AWS::KMS::Key',
  'AWS::Kinesis::Stream',
  'AWS::Kinesis::StreamConsumer',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::Lambda::Alias',
  'AWS::Lambda::CodeSigningConfig',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Function',
  'AWS::Lambda::LayerVersion',
  'AWS::Lambda::LayerVersionPermission',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Url',
  'AWS::Lambda::Version',
  'AWS::Logs::LogGroup',
  'AWS::Logs::LogStream',
  'AWS::Logs::SubscriptionFilter',
  'AWS::OpenSearchService::Domain',
  'AWS::Redshift::Cluster',
  'AWS::ResourceGroups::Group',
  'AWS::Route53::HealthCheck',
  'AWS::Route53::RecordSet',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SSM::MaintenanceWindow',
  'AWS::SSM::MaintenanceWindowTarget',
  'AWS::SSM::MaintenanceWindowTask',
  'AWS::SSM::Parameter',
  'AWS::SSM::PatchBaseline',
  'AWS::Scheduler::Schedule',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::SecretsManager::RotationSchedule',
  'AWS::SecretsManager::Secret',
  'AWS::SecretsManager::SecretTargetAttachment',
  'AWS::ServiceDiscovery::HttpNamespace',
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::PublicDnsNamespace',
  'AWS::ServiceDiscovery::Service',
  'AWS::StepFunctions::Activity',
  'AWS::StepFunctions::StateMachine',
  'AWS::Timestream::Database',
  'AWS::Timestream::Table',
]);

/** Where {@link LOCALSTACK_FREE_RESOURCE_TYPES} comes from, for messages and the README. */
export const LOCALSTACK_RESOURCE_TYPES_SOURCE =
  'https://docs.localstack.cloud/aws/services/cloudformation/#resources ("Community image" table, retrieved 2026-11-25)';

/**
 * The resource types of a template that LocalStack's free plan does not deploy, sorted and
 * without duplicates.
 *
 * @param resourceTypes every resource's `Type` in the template
 */
export function typesLocalStackDoesNotDeploy(resourceTypes: Iterable<string>): string[] {
  return [...new Set(resourceTypes)]
    .filter((type) => !LOCALSTACK_FREE_RESOURCE_TYPES.has(type))
    .sort();
}
