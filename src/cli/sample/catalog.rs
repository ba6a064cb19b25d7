//! The samples `ceh sample` knows: a curated set of ceh's own fixtures, at
//! least one for every built-in rule, each embedded in the binary byte for
//! byte. A sample's name is `SOURCE/VARIANT`, the fixture's directory and a
//! name people would guess (`sns/basic` is `fixtures/sns/notification.json`).
//!
//! Each embedded file is listed in Cargo.toml's `include` as well, so that
//! `cargo package` carries exactly these fixtures; a test checks the two agree.

/// Where the fields the overrides change are, in a sample: which flags apply.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Shape {
    /// `Records[*].s3.bucket`, `Records[*].s3.object.key`.
    S3,
    /// `Records[*].body`.
    Sqs,
    /// `Records[*].Sns.Message`.
    Sns,
    /// `source`, `detail-type`.
    EventBridge,
    /// `path`, `httpMethod` and their copies in `requestContext`.
    RestApi,
    /// `rawPath`, `requestContext.http.path` and `.method` (HTTP APIs, function URLs).
    HttpApi,
    /// `path`, `httpMethod`.
    Alb,
    /// `raw_path`, `method` (VPC Lattice payload 1).
    LatticeV1,
    /// `path`, `method` (VPC Lattice payload 2).
    LatticeV2,
    /// None of the above: no override applies.
    Other,
}

/// One sample event.
pub(super) struct Sample {
    /// `SOURCE/VARIANT`, as `ceh sample` takes it.
    pub(super) name: &'static str,
    /// What the event is, in a few words.
    pub(super) description: &'static str,
    /// Where its overridable fields are.
    pub(super) shape: Shape,
    /// The fixture's text, exactly.
    pub(super) json: &'static str,
}

macro_rules! sample {
    ($name:literal, $file:literal, $shape:ident, $description:literal) => {
        Sample {
            name: $name,
            description: $description,
            shape: Shape::$shape,
            json: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/", $file)),
        }
    };
}

/// Every sample, sorted by name, one a line.
#[rustfmt::skip]
pub(super) static SAMPLES: &[Sample] = &[
    sample!("alb/get", "alb/get.json", Alb, "ALB target request, GET /lambda"),
    sample!("alexa/skill-intent", "alexa/skill-intent.json", Other, "Alexa skill IntentRequest"),
    sample!("alexa/smart-home", "alexa/smart-home-discovery.json", Other, "Alexa Smart Home v3 discovery directive"),
    sample!("alexa/smart-home-v2", "alexa/smart-home-v2.json", Other, "Alexa Smart Home v2 (legacy) discovery"),
    sample!("apigw-authorizer/http-api", "apigw-authorizer/http-api.json", Other, "HTTP API Lambda authorizer, payload 2.0"),
    sample!("apigw-authorizer/request", "apigw-authorizer/request-v1.json", Other, "REST API REQUEST authorizer"),
    sample!("apigw-authorizer/token", "apigw-authorizer/token.json", Other, "REST API TOKEN authorizer"),
    sample!("apigw-v1/get", "apigw-v1/sam-local.json", RestApi, "REST API, GET /test (as sam local sends it)"),
    sample!("apigw-v1/post", "apigw-v1/proxy.json", RestApi, "REST API, POST /hello/world with a body"),
    sample!("apigw-v2/get", "apigw-v2/get-cookies.json", HttpApi, "HTTP API, GET /my/path with cookies"),
    sample!("apigw-v2/post", "apigw-v2/proxy.json", HttpApi, "HTTP API, POST /my/path with a body"),
    sample!("appconfig/validator", "appconfig/validator.json", Other, "AppConfig configuration validator"),
    sample!("appsync-authorizer/request", "appsync-authorizer/request.json", Other, "AppSync Lambda authorizer"),
    sample!("appsync-events/on-publish", "appsync-events/on-publish.json", Other, "AppSync Events publish handler"),
    sample!("appsync/batch-resolver", "appsync/batch-resolver.json", Other, "AppSync direct resolver, batched"),
    sample!("appsync/direct-resolver", "appsync/direct-resolver.json", Other, "AppSync direct Lambda resolver"),
    sample!("appsync/invoke", "appsync/invoke.json", Other, "AppSync invoke with a custom payload"),
    sample!("appsync/template-resolver", "appsync/template-resolver.json", Other, "AppSync resolver from a mapping template"),
    sample!("azure-functions/blob", "azure-functions/blob.json", Other, "Azure Functions, blob trigger"),
    sample!("azure-functions/cosmosdb", "azure-functions/cosmosdb.json", Other, "Azure Functions, Cosmos DB change feed"),
    sample!("azure-functions/cosmosdb-wire", "azure-functions/cosmosdb-wire.json", Other, "Azure Functions, Cosmos DB change feed, documents as a JSON string"),
    sample!("azure-functions/eventgrid", "azure-functions/eventgrid.json", Other, "Azure Functions, Event Grid trigger"),
    sample!("azure-functions/eventgrid-cloudevent", "azure-functions/eventgrid-cloudevent.json", Other, "Azure Functions, Event Grid trigger, CloudEvents schema"),
    sample!("azure-functions/eventhubs", "azure-functions/eventhubs.json", Other, "Azure Functions, Event Hubs, one event"),
    sample!("azure-functions/eventhubs-batch", "azure-functions/eventhubs-batch.json", Other, "Azure Functions, Event Hubs batch"),
    sample!("azure-functions/http", "azure-functions/http.json", Other, "Azure Functions, HTTP trigger payload"),
    sample!("azure-functions/queue", "azure-functions/queue.json", Other, "Azure Functions, queue trigger"),
    sample!("azure-functions/servicebus", "azure-functions/servicebus.json", Other, "Azure Functions, Service Bus, one message"),
    sample!("azure-functions/servicebus-batch", "azure-functions/servicebus-batch.json", Other, "Azure Functions, Service Bus batch"),
    sample!("azure-functions/timer", "azure-functions/timer.json", Other, "Azure Functions, timer trigger"),
    sample!("bedrock-agent/action-group", "bedrock-agent/action-group.json", Other, "Bedrock agent action group call"),
    sample!("chime/new-inbound-call", "chime/new-inbound-call.json", Other, "Chime SDK SIP media application, a new call"),
    sample!("clientvpn/connection-handler", "clientvpn/connection-handler.json", Other, "Client VPN connection handler"),
    sample!("cloudevents/basic", "cloudevents/structured-1.0.json", Other, "CloudEvent 1.0, structured JSON"),
    sample!("cloudevents/batch", "cloudevents/batch.json", Other, "CloudEvents batch of two"),
    sample!("cloudformation/create", "cloudformation/create.json", Other, "CloudFormation custom resource, Create"),
    sample!("cloudformation/provider-create", "cloudformation/provider-create.json", Other, "CDK provider framework onEvent, Create"),
    sample!("cloudfront/viewer-request", "cloudfront/viewer-request.json", Other, "Lambda@Edge viewer request"),
    sample!("cloudwatch-alarm/metric", "cloudwatch-alarm/metric.json", Other, "CloudWatch metric alarm action"),
    sample!("cloudwatch-dashboard/widget", "cloudwatch-dashboard/widget.json", Other, "CloudWatch dashboard custom widget"),
    sample!("cloudwatch-logs/subscription", "cloudwatch-logs/subscription.json", Other, "CloudWatch Logs subscription filter"),
    sample!("codecommit/trigger", "codecommit/trigger.json", Other, "CodeCommit repository trigger"),
    sample!("codedeploy/lifecycle-hook", "codedeploy/lifecycle-hook.json", Other, "CodeDeploy lifecycle hook"),
    sample!("codepipeline-job/basic", "codepipeline-job/job.json", Other, "CodePipeline job for a Lambda action"),
    sample!("cognito-sync/sync-trigger", "cognito-sync/sync-trigger.json", Other, "Cognito Sync trigger"),
    sample!("cognito-userpools/pre-signup", "cognito-userpools/presignup.json", Other, "Cognito user pool pre sign-up trigger"),
    sample!("config/rule", "config/rule.json", Other, "AWS Config custom rule evaluation"),
    sample!("connect/contact-flow", "connect/contact-flow.json", Other, "Amazon Connect contact flow"),
    sample!("connect/outbound-campaign", "connect/outbound-campaign.json", Other, "Connect outbound campaign custom action"),
    sample!("documentdb/insert", "documentdb/insert.json", Other, "DocumentDB change stream, insert"),
    sample!("dynamodb/basic", "dynamodb/stream.json", Other, "DynamoDB Streams batch"),
    sample!("eventbridge/basic", "eventbridge/custom.json", EventBridge, "EventBridge custom event, Order Placed"),
    sample!("eventbridge/ec2-state-change", "eventbridge/ec2-state-change.json", EventBridge, "EventBridge EC2 instance state change"),
    sample!("eventbridge/s3-object-created", "eventbridge/s3-object-created.json", EventBridge, "EventBridge S3 Object Created"),
    sample!("eventbridge/scheduled", "eventbridge/cloudwatch-scheduled.json", EventBridge, "EventBridge scheduled event"),
    sample!("eventgrid/blob-created", "eventgrid/blob-created.json", Other, "Azure Event Grid, blob created"),
    sample!("eventgrid/event", "eventgrid/event.json", Other, "Azure Event Grid, one event outside an array"),
    sample!("eventgrid/validation", "eventgrid/subscription-validation.json", Other, "Azure Event Grid subscription validation"),
    sample!("eventgrid/validation-event", "eventgrid/subscription-validation-event.json", Other, "Azure Event Grid validation, one event outside an array"),
    sample!("firehose/transformation", "firehose/transformation.json", Other, "Data Firehose record transformation"),
    sample!("function-url/get", "function-url/request.json", HttpApi, "Lambda function URL, GET /my/path"),
    sample!("gcf/legacy-pubsub", "gcf/legacy-pubsub.json", Other, "Cloud Functions event, legacy Pub/Sub"),
    sample!("gcf/storage-finalize", "gcf/storage-finalize.json", Other, "Cloud Functions event, Storage finalize"),
    sample!("iot-1click/button", "iot-1click/button.json", Other, "IoT 1-Click button press"),
    sample!("iot-authorizer/request", "iot-authorizer/request.json", Other, "IoT Core custom authorizer"),
    sample!("iot-button/click", "iot-button/click.json", Other, "IoT button click"),
    sample!("iot-events/action", "iot-events/action.json", Other, "IoT Events detector model action, by event name"),
    sample!("iot-provisioning/hook", "iot-provisioning/pre-provisioning-hook.json", Other, "IoT fleet pre-provisioning hook"),
    sample!("iot/rule-event", "iot/rule-event.json", Other, "IoT rule action"),
    sample!("kafka/msk", "kafka/msk.json", Other, "Amazon MSK batch"),
    sample!("kafka/self-managed", "kafka/self-managed.json", Other, "Self-managed Kafka batch"),
    sample!("kendra/enrichment", "kendra/enrichment.json", Other, "Kendra custom document enrichment"),
    sample!("kinesis-analytics/preprocessing", "kinesis-analytics/preprocessing.json", Other, "Kinesis Data Analytics preprocessing"),
    sample!("kinesis/basic", "kinesis/stream.json", Other, "Kinesis Data Streams batch"),
    sample!("lambda-destination/on-failure", "lambda-destination/on-failure.json", Other, "Lambda destination, on failure"),
    sample!("lambda-destination/on-success", "lambda-destination/on-success.json", Other, "Lambda destination, on success"),
    sample!("lex/v1", "lex/v1.json", Other, "Lex V1 code hook"),
    sample!("lex/v2", "lex/v2-fulfillment.json", Other, "Lex V2 fulfillment code hook"),
    sample!("mq/activemq", "mq/activemq-amq.json", Other, "Amazon MQ for ActiveMQ batch"),
    sample!("mq/rabbitmq", "mq/rabbitmq.json", Other, "Amazon MQ for RabbitMQ batch"),
    sample!("pinpoint/campaign-hook", "pinpoint/campaign-hook.json", Other, "Pinpoint campaign hook"),
    sample!("pipes/dynamodb", "pipes/dynamodb.json", Other, "EventBridge Pipes batch from DynamoDB Streams"),
    sample!("pipes/kinesis", "pipes/kinesis.json", Other, "EventBridge Pipes batch from Kinesis"),
    sample!("pipes/sqs", "pipes/sqs.json", Other, "EventBridge Pipes batch from SQS, two messages"),
    sample!("pubsub/push", "pubsub/push.json", Other, "Google Pub/Sub push message"),
    sample!("redshift/udf", "redshift/udf.json", Other, "Amazon Redshift Lambda UDF, four rows"),
    sample!("s3-batch/schema-2.0", "s3-batch/schema-2.0.json", Other, "S3 Batch Operations task, schema 2.0"),
    sample!("s3-object-lambda/get-object", "s3-object-lambda/get-object.json", Other, "S3 Object Lambda GetObject"),
    sample!("s3/put", "s3/put.json", S3, "S3 notification, an object created by PUT"),
    sample!("sagemaker/ground-truth-consolidation", "sam-cli/sagemaker--ground-truth-annotation-consolidation.json", Other, "SageMaker Ground Truth annotation consolidation"),
    sample!("sagemaker/ground-truth-pre-annotation", "sam-cli/sagemaker--ground-truth-pre-human.json", Other, "SageMaker Ground Truth pre-annotation"),
    sample!("secretsmanager/rotation", "secretsmanager/rotation.json", Other, "Secrets Manager rotation step"),
    sample!("ses/receipt", "ses/receipt.json", Other, "SES receipt rule action"),
    sample!("sns/basic", "sns/notification.json", Sns, "SNS notification, one message"),
    sample!("sqs/basic", "sqs/basic.json", Sqs, "SQS batch, one message"),
    sample!("transfer-family/idp", "transfer-family/custom-identity-provider.json", Other, "Transfer Family identity provider"),
    sample!("vpc-lattice/v1", "vpc-lattice/v1.json", LatticeV1, "VPC Lattice payload 1, POST /api/product"),
    sample!("vpc-lattice/v2", "vpc-lattice/v2.json", LatticeV2, "VPC Lattice payload 2, GET /health"),
    sample!("warmup/basic", "warmup/serverless-plugin-warmup.json", Other, "serverless-plugin-warmup ping"),
    sample!("websocket/message", "websocket/message.json", Other, "API Gateway WebSocket message"),
    sample!("workmail/inbound", "workmail/inbound.json", Other, "WorkMail email flow rule, inbound"),
];

/// The sample named `name`, if there is one.
pub(super) fn find(name: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|sample| sample.name == name)
}

/// The samples whose name starts with `source/`.
pub(super) fn of_source(source: &str) -> impl Iterator<Item = &'static Sample> + '_ {
    SAMPLES.iter().filter(move |sample| {
        sample
            .name
            .split_once('/')
            .is_some_and(|(its, _)| its == source)
    })
}
