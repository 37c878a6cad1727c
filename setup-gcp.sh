#!/usr/bin/env bash
# One-time setup of a Google Cloud project for manim-render: APIs, Artifact Registry, Firestore (database, TTL,
# indexes), the renders bucket, the Cloud Tasks queue, one service account per role with its roles, and an
# example Cloud Scheduler job. Idempotent: everything is looked up first and created only when missing, and
# settings are applied again, so running it twice changes nothing the second time. Then run ./deploy.sh.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_NAME=setup-gcp.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/gcp-lib.sh
source "$ROOT/scripts/gcp-lib.sh"

REQUIRED_APIS=(
  run.googleapis.com
  artifactregistry.googleapis.com
  cloudbuild.googleapis.com
  firestore.googleapis.com
  cloudtasks.googleapis.com
  storage.googleapis.com
  iam.googleapis.com
  # signBlob: the ingress signs video URLs with its own identity, without a key file.
  iamcredentials.googleapis.com
  cloudscheduler.googleapis.com
  cloudresourcemanager.googleapis.com
  logging.googleapis.com
  monitoring.googleapis.com
)

# Collection groups whose documents carry `expireAt`: a job and its scenes expire together (a TTL deletion of a
# job does not reach its subcollection, so scenes need a policy of their own).
TTL_COLLECTION_GROUPS=(renderJobs scenes)
TTL_FIELD=expireAt

usage() {
  cat <<EOF
Usage: ./setup-gcp.sh [--project ID] [--region REGION] [--indexes FILE] [--dry-run]

One-time, idempotent setup of a project for manim-render. Needs gcloud (logged in as a project owner or
equivalent) and jq.

  --project ID      project to set up (or PROJECT_ID)
  --region REGION   region of Cloud Run, the bucket, the queue, Firestore (or REGION), e.g. europe-west1
  --indexes FILE    Firestore index definitions (default: firestore.indexes.json at the repository root)
  --dry-run         run only read-only gcloud queries; print every command that would change something
  -h, --help        this help

Settings from the environment (defaults in brackets):
  BUCKET [PROJECT_ID-manim-renders]   FIRESTORE_DATABASE [(default)]   FIRESTORE_LOCATION [REGION]
  TASKS_QUEUE [manim-render]          TASKS_LOCATION [REGION]          REPOSITORY [manim-render]
  JOB_RETENTION_DAYS [30]             CORS_ORIGINS [*] (comma-separated origins allowed to fetch videos)
  RENDER_MAX_INSTANCES [10]           QUEUE_MAX_DISPATCHES_PER_SECOND [5]
  TASK_MAX_ATTEMPTS [5]               TASK_MIN_BACKOFF_MS [1000]       TASK_MAX_BACKOFF_MS [60000]
  CANARY_SCHEDULE ['17 * * * *']      SCHEDULER_LOCATION [REGION]
  NIGHTLY_SCHEDULE ['0 2 * * *']      NIGHTLY_PREFIX [gs://BUCKET/scenes/nightly/]
  REPAIR_SCHEDULE ['*/10 * * * *'] (the repair of lost work; set REPAIR_AFTER_SECONDS on the ingress to match)
EOF
}

parse_args() {
  INDEXES_FILE=$ROOT/firestore.indexes.json
  while [ $# -gt 0 ]; do
    case $1 in
      --project) PROJECT_ID=${2:?--project needs a value}; shift 2 ;;
      --project=*) PROJECT_ID=${1#*=}; shift ;;
      --region) REGION=${2:?--region needs a value}; shift 2 ;;
      --region=*) REGION=${1#*=}; shift ;;
      --indexes) INDEXES_FILE=${2:?--indexes needs a value}; shift 2 ;;
      --indexes=*) INDEXES_FILE=${1#*=}; shift ;;
      --dry-run) DRY_RUN=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  CORS_ORIGINS=${CORS_ORIGINS:-*}
  CANARY_SCHEDULE=${CANARY_SCHEDULE:-17 * * * *}
  NIGHTLY_SCHEDULE=${NIGHTLY_SCHEDULE:-0 2 * * *}
  REPAIR_SCHEDULE=${REPAIR_SCHEDULE:-*/10 * * * *}
  SCHEDULER_LOCATION=${SCHEDULER_LOCATION:-${REGION:-}}
}

check_indexes_file() {
  [ -f "$INDEXES_FILE" ] || die "$INDEXES_FILE not found (the Firestore indexes the job store needs)"
  jq -e '(.indexes // []) | type == "array"' "$INDEXES_FILE" >/dev/null || die "$INDEXES_FILE is not an index file"
}

enable_apis() {
  local enabled api missing=()
  enabled=$(query '' services list --enabled --project="$PROJECT_ID" --format='value(config.name)')
  for api in "${REQUIRED_APIS[@]}"; do
    grep -qxF "$api" <<<"$enabled" || missing+=("$api")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "APIs: all enabled"
    return
  fi
  mutate gcloud services enable "${missing[@]}" --project="$PROJECT_ID"
}

ensure_artifact_repository() {
  if exists artifacts repositories describe "$REPOSITORY" --location="$REGION" --project="$PROJECT_ID"; then
    note "Artifact Registry repository $REPOSITORY exists"
    return
  fi
  mutate gcloud artifacts repositories create "$REPOSITORY" --project="$PROJECT_ID" --location="$REGION" \
    --repository-format=docker --description="manim-render images"
}

ensure_firestore_database() {
  if exists firestore databases describe --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID"; then
    note "Firestore database $FIRESTORE_DATABASE exists"
    return
  fi
  mutate gcloud firestore databases create --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" \
    --location="$FIRESTORE_LOCATION" --type=firestore-native
}

# group<TAB>field per TTL policy: the job store's own and any `"ttl": true` in the index file's fieldOverrides.
ttl_targets() {
  local group
  for group in "${TTL_COLLECTION_GROUPS[@]}"; do
    printf '%s\t%s\n' "$group" "$TTL_FIELD"
  done
  jq -r '(.fieldOverrides // [])[] | select(.ttl == true) | [.collectionGroup, .fieldPath] | @tsv' "$INDEXES_FILE"
}

ensure_ttl_policies() {
  local configured targets group field
  # Names end in collectionGroups/GROUP/fields/FIELD; keep that part to compare.
  configured=$(query '' firestore fields ttls list --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" \
    --format='value(name)' | sed 's#.*/collectionGroups/##')
  targets=$(ttl_targets | sort -u)
  while IFS=$'\t' read -r group field; do
    [ -n "$group" ] || continue
    if grep -qxF "$group/fields/$field" <<<"$configured"; then
      note "TTL on $group.$field exists"
      continue
    fi
    # --async: a TTL policy takes minutes to become active; nothing here waits on it.
    mutate gcloud firestore fields ttls update "$field" --collection-group="$group" --enable-ttl \
      --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" --async
  done <<<"$targets"
}

# One line per composite index: group|scope|field:ORDER,... with Firestore's implicit __name__ left out, so an
# index in the file and the same index as listed by gcloud compare equal.
readonly INDEX_SIGNATURE_JQ='
  def fieldsig: [.fields[] | select(.fieldPath != "__name__")
                 | "\(.fieldPath):\(.order // ("ARRAY_" + (.arrayConfig // "")))"] | join(",");'

existing_index_signatures() {
  query '[]' firestore indexes composite list --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" --format=json |
    jq -r "$INDEX_SIGNATURE_JQ"'
      .[] | "\(.name | capture("collectionGroups/(?<g>[^/]+)/").g)|\(.queryScope // "COLLECTION")|\(fieldsig)"'
}

ensure_composite_indexes() {
  local existing wanted signature group scope configs
  existing=$(existing_index_signatures)
  # Each wanted index: its signature, then the gcloud arguments that create it, tab-separated.
  wanted=$(jq -r "$INDEX_SIGNATURE_JQ"'
      (.indexes // [])[] | (.queryScope // "COLLECTION") as $scope
      | [ "\(.collectionGroup)|\($scope)|\(fieldsig)", .collectionGroup, $scope,
          ([.fields[] | "--field-config=field-path=\(.fieldPath)," +
             (if .order then "order=\(.order | ascii_downcase)" else "array-config=\(.arrayConfig | ascii_downcase)" end)]
           | join(" ")) ] | @tsv' "$INDEXES_FILE")
  while IFS=$'\t' read -r signature group scope configs; do
    [ -n "$signature" ] || continue
    if grep -qxF "$signature" <<<"$existing"; then
      note "index $signature exists"
      continue
    fi
    local -a field_flags=()
    read -r -a field_flags <<<"$configs"
    # --async: building an index takes minutes; queries that need it fail with a link to it until then.
    mutate gcloud firestore indexes composite create --collection-group="$group" --query-scope="$scope" \
      "${field_flags[@]}" --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" --async
  done <<<"$wanted"
}

# `"indexes": []` in the index file's fieldOverrides exempts a field from single-field indexing: large fields
# such as scene code cost index writes and storage for queries nobody makes.
ensure_index_exemptions() {
  local exemptions group field described
  exemptions=$(jq -r '(.fieldOverrides // [])[] | select(.indexes == []) | [.collectionGroup, .fieldPath] | @tsv' \
    "$INDEXES_FILE")
  while IFS=$'\t' read -r group field; do
    [ -n "$group" ] || continue
    described=$(query '{}' firestore indexes fields describe "$field" --collection-group="$group" \
      --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" --format=json)
    if jq -e '(.indexConfig.usesAncestorConfig == false) and (((.indexConfig.indexes // []) | length) == 0)' \
      <<<"$described" >/dev/null; then
      note "$group.$field is exempt from indexing"
      continue
    fi
    mutate gcloud firestore indexes fields update "$field" --collection-group="$group" --disable-indexes \
      --database="$FIRESTORE_DATABASE" --project="$PROJECT_ID" --async
  done <<<"$exemptions"
  jq -r '(.fieldOverrides // [])[] | select(.indexes != null and .indexes != []) | "\(.collectionGroup).\(.fieldPath)"' \
    "$INDEXES_FILE" | while read -r field; do
    note "warning: custom single-field indexes on $field are not applied by this script; use the Firebase CLI"
  done
}

ensure_bucket() {
  if exists storage buckets describe "gs://$BUCKET" --project="$PROJECT_ID"; then
    note "bucket gs://$BUCKET exists"
  else
    mutate gcloud storage buckets create "gs://$BUCKET" --project="$PROJECT_ID" --location="$REGION" \
      --default-storage-class=STANDARD --uniform-bucket-level-access --public-access-prevention
  fi
  configure_bucket
}

# Applied on every run, so the bucket keeps these settings whoever changed them since.
configure_bucket() {
  local dir origins
  dir=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
  trap "rm -rf '$dir'" EXIT
  # Job files live as long as their job's Firestore record (JOB_RETENTION_DAYS), then go by themselves, and so do
  # project files (files/, renewed by each upload of the same bytes); a signed upload the service never checked
  # (uploads/) goes after a day. Other prefixes (scene sources for scheduled batches, scenes/…) are kept.
  jq -n --argjson days "$JOB_RETENTION_DAYS" '{rule: [
      {action: {type: "Delete"}, condition: {age: $days, matchesPrefix: ["jobs/", "files/"]}},
      {action: {type: "Delete"}, condition: {age: 1, matchesPrefix: ["uploads/"]}},
      {action: {type: "AbortIncompleteMultipartUpload"}, condition: {age: 1}}]}' >"$dir/lifecycle.json"
  # Browsers play videos straight from signed URLs; a <video crossorigin> or a fetch with Range needs these.
  origins=$(jq -cn --arg o "$CORS_ORIGINS" '$o | split(",") | map(select(length > 0))')
  jq -n --argjson origins "$origins" '[{origin: $origins, method: ["GET", "HEAD"],
      responseHeader: ["Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Range"],
      maxAgeSeconds: 3600}]' >"$dir/cors.json"
  if [ "$DRY_RUN" = true ]; then
    note "lifecycle: $(jq -c . "$dir/lifecycle.json")"
    note "CORS: $(jq -c . "$dir/cors.json")"
  fi
  # --clear-soft-delete: renders are reproducible and expire by lifecycle; soft delete would keep (and bill)
  # every expired or deleted video for another week.
  mutate gcloud storage buckets update "gs://$BUCKET" --project="$PROJECT_ID" \
    --uniform-bucket-level-access --public-access-prevention \
    --lifecycle-file="$dir/lifecycle.json" --cors-file="$dir/cors.json" --clear-soft-delete
}

ensure_queue() {
  local queue=$1 dispatches=$2
  if exists tasks queues describe "$queue" --location="$TASKS_LOCATION" --project="$PROJECT_ID"; then
    note "queue $queue exists (deploy.sh applies its rate and retry settings)"
    return
  fi
  queue_settings_flags "$dispatches"
  mutate gcloud tasks queues create "$queue" --location="$TASKS_LOCATION" --project="$PROJECT_ID" \
    "${QUEUE_FLAGS[@]}"
}

ensure_service_account() {
  local email=$1 title=$2 description=$3
  if exists iam service-accounts describe "$email" --project="$PROJECT_ID"; then
    note "service account $email exists"
    return
  fi
  mutate gcloud iam service-accounts create "${email%%@*}" --project="$PROJECT_ID" \
    --display-name="$title" --description="$description"
}

ensure_service_accounts() {
  ensure_service_account "$API_SA" "manim-render ingress" "Runs manim-api: stores jobs, enqueues render tasks"
  ensure_service_account "$RENDERER_SA" "manim-render renderer" "Runs manim-renderer: renders scenes, stores videos"
  ensure_service_account "$TASKS_INVOKER_SA" "manim-render tasks invoker" \
    "The identity Cloud Tasks calls manim-renderer with (OIDC)"
  ensure_service_account "$SCHEDULER_SA" "manim-render scheduler" \
    "The identity Cloud Scheduler calls manim-api with (OIDC)"
}

bind_project_role() {
  ensure_binding "$2" "serviceAccount:$1" projects VERB "$PROJECT_ID"
}

bind_bucket_role() {
  ensure_binding "$2" "serviceAccount:$1" storage buckets VERB "gs://$BUCKET" --project="$PROJECT_ID"
}

bind_service_account_role() {
  local target=$1 member=$2 role=$3
  ensure_binding "$role" "serviceAccount:$member" iam service-accounts VERB "$target" --project="$PROJECT_ID"
}

# Least privilege per role; a binding is added only when missing. The run.invoker
# bindings on the two services are made by deploy.sh, as a service must exist before it has an IAM policy.
grant_roles() {
  # Ingress: jobs, scenes and API keys in Firestore.
  bind_project_role "$API_SA" roles/datastore.user
  # Ingress: create tasks in this queue only, and delete the queued tasks of a job that is cancelled.
  ensure_binding roles/cloudtasks.enqueuer "serviceAccount:$API_SA" \
    tasks queues VERB "$TASKS_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  ensure_binding roles/cloudtasks.taskDeleter "serviceAccount:$API_SA" \
    tasks queues VERB "$TASKS_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  # Ingress: queue the webhook of a job that a cancel ended, and delete a deleted job's queued deliveries.
  ensure_binding roles/cloudtasks.enqueuer "serviceAccount:$API_SA" \
    tasks queues VERB "$WEBHOOK_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  ensure_binding roles/cloudtasks.taskDeleter "serviceAccount:$API_SA" \
    tasks queues VERB "$WEBHOOK_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  # Ingress: tasks carry an OIDC token of the invoker account, which needs actAs on it.
  bind_service_account_role "$TASKS_INVOKER_SA" "$API_SA" roles/iam.serviceAccountUser
  # Ingress: V4 signed URLs signed by its own identity (signBlob), no key file.
  bind_service_account_role "$API_SA" "$API_SA" roles/iam.serviceAccountTokenCreator
  # Ingress: read outputs (stream them, sign URLs to them), keep project files (and sign their upload URLs) and
  # delete a job's files. objectUser is the narrowest predefined role with delete; it is granted on this one bucket
  # only.
  bind_bucket_role "$API_SA" roles/storage.objectUser
  # Renderer: read scene code and record progress and outcomes in Firestore.
  bind_project_role "$RENDERER_SA" roles/datastore.user
  # Renderer: enqueue the parts and joins of split scenes, and the webhook task of a job that finished, with the
  # invoker's token like every task.
  ensure_binding roles/cloudtasks.enqueuer "serviceAccount:$RENDERER_SA" \
    tasks queues VERB "$TASKS_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  ensure_binding roles/cloudtasks.enqueuer "serviceAccount:$RENDERER_SA" \
    tasks queues VERB "$WEBHOOK_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID"
  bind_service_account_role "$TASKS_INVOKER_SA" "$RENDERER_SA" roles/iam.serviceAccountUser
  # Renderer: upload outputs and logs. objectCreator would not do: discarding a cancelled render's files is a
  # prefix delete (list + delete), and a retried attempt rewrites its log at the same key (overwrite = delete).
  bind_bucket_role "$RENDERER_SA" roles/storage.objectUser
}

ensure_canary_job() {
  local api_url body
  api_url=$(service_url "$API_SERVICE")
  if exists scheduler jobs describe manim-canary --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID"; then
    note "Cloud Scheduler job manim-canary exists"
    return
  fi
  # An hourly tiny render through the whole pipeline, as an example of calling the API with an OIDC token: its
  # outcome shows on the dashboard and in the render alerts even when no user is rendering.
  body=$(jq -cn '{code: "from manim import *\n\nclass Canary(Scene):\n    def construct(self):\n        self.play(Create(Circle()), run_time=0.5)\n",
                  quality: "low", metadata: {source: "cloud-scheduler-canary"}}')
  mutate gcloud scheduler jobs create http manim-canary --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID" \
    --schedule="$CANARY_SCHEDULE" --time-zone=Etc/UTC --uri="$api_url/v1/renders" --http-method=POST \
    --headers=Content-Type=application/json --message-body="$body" \
    --oidc-service-account-email="$SCHEDULER_SA" --oidc-token-audience="$api_url" \
    --description="manim-render canary: renders a tiny scene every hour"
}

ensure_nightly_batch_job() {
  local api_url body prefix=${NIGHTLY_PREFIX:-gs://$BUCKET/scenes/nightly/}
  api_url=$(service_url "$API_SERVICE")
  if exists scheduler jobs describe manim-nightly --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID"; then
    note "Cloud Scheduler job manim-nightly exists"
    return
  fi
  # Renders every .py under the prefix each night as one batch. A run Cloud Scheduler delivers twice creates one
  # batch: the ingress keys it by the X-CloudScheduler job name and schedule time; unchanged scenes reuse their
  # earlier renders from the result cache.
  body=$(jq -cn --arg prefix "$prefix" '{name: "nightly", source: {gcsPrefix: $prefix}, defaults: {quality: "high"}}')
  mutate gcloud scheduler jobs create http manim-nightly --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID" \
    --schedule="$NIGHTLY_SCHEDULE" --time-zone=Etc/UTC --uri="$api_url/v1/batches" --http-method=POST \
    --headers=Content-Type=application/json --message-body="$body" \
    --oidc-service-account-email="$SCHEDULER_SA" --oidc-token-audience="$api_url" \
    --description="manim-render: renders every scene file under $prefix nightly"
}

ensure_repair_job() {
  local api_url
  api_url=$(service_url "$API_SERVICE")
  if exists scheduler jobs describe manim-repair --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID"; then
    note "Cloud Scheduler job manim-repair exists"
    return
  fi
  # The repair of lost work: a scene left with no task (a process killed between storing a job and queueing its
  # tasks, a task out of attempts before it recorded an outcome) is queued again. The ingress accepts the call only
  # with the invoker account's token, as it does Cloud Tasks' webhook deliveries. Run it by hand with
  # `gcloud scheduler jobs run manim-repair` (or `manim-render repair` with the service's settings).
  mutate gcloud scheduler jobs create http manim-repair --location="$SCHEDULER_LOCATION" --project="$PROJECT_ID" \
    --schedule="$REPAIR_SCHEDULE" --time-zone=Etc/UTC --uri="$api_url/tasks/repair" --http-method=POST \
    --oidc-service-account-email="$TASKS_INVOKER_SA" --oidc-token-audience="$api_url" \
    --description="manim-render: queues again work whose queue entry was lost"
}

main() {
  parse_args "$@"
  load_settings
  require_tools gcloud jq
  check_indexes_file
  PROJECT_NUMBER=$(project_number)
  note "project $PROJECT_ID ($PROJECT_NUMBER), region $REGION$([ "$DRY_RUN" = true ] && echo ', dry run')"

  enable_apis
  ensure_artifact_repository
  ensure_firestore_database
  ensure_ttl_policies
  ensure_composite_indexes
  ensure_index_exemptions
  ensure_bucket
  ensure_queue "$TASKS_QUEUE" "$RENDER_MAX_INSTANCES"
  ensure_queue "$WEBHOOK_QUEUE" "$WEBHOOK_MAX_DISPATCHES"
  ensure_queue "$DEPLOY_CANARY_QUEUE" 1
  ensure_service_accounts
  grant_roles
  ensure_canary_job
  ensure_nightly_batch_job
  ensure_repair_job
  note "done. Next: ./deploy.sh --project $PROJECT_ID --region $REGION"
}

main "$@"
