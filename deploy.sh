#!/usr/bin/env bash
# Builds the image and deploys manim-renderer and manim-api from service.yaml, lets the tasks invoker call the
# renderer and the scheduler call the API, points the queue at the renderer with its rate and retry settings,
# and prints the URLs. Idempotent: every step states the desired result, so running it again converges.
# Each new revision starts with no traffic; a canary render through the new renderer revision (its tag URL) must
# pass before traffic moves to the new revisions, and a failed canary leaves traffic where it was.
# Run ./setup-gcp.sh once first.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_NAME=deploy.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/gcp-lib.sh
source "$ROOT/scripts/gcp-lib.sh"

# Cloud Tasks waits at most 30 minutes for an HTTP target to answer; a render request must end before that.
readonly MAX_DISPATCH_DEADLINE_SECONDS=1800

# The names service.yaml's placeholders may use; anything else left in it is an error.
readonly PLACEHOLDERS=(
  PROJECT_ID IMAGE LOG_LEVEL FIRESTORE_DATABASE BUCKET TASKS_LOCATION TASKS_QUEUE TASKS_INVOKER_SA
  API_SA RENDERER_SA RENDERER_URL INGRESS_URL WEBHOOK_QUEUE AUTH_ALLOWLIST BATCH_SOURCES TASK_MAX_ATTEMPTS TASK_MIN_BACKOFF_MS TASK_MAX_BACKOFF_MS
  DEFAULT_TIMEOUT_SECONDS MAX_TIMEOUT_SECONDS JOB_RETENTION_DAYS RENDER_MIN_INSTANCES RENDER_MAX_INSTANCES
  RENDERER_TIMEOUT_SECONDS API_MIN_INSTANCES API_MAX_INSTANCES API_CONCURRENCY
  RENDERER_REVISION API_REVISION RENDERER_TRAFFIC API_TRAFFIC
)

# The tag a new revision is reachable at before it has traffic: https://canary---SERVICE-NUMBER.REGION.run.app
readonly CANARY_TAG=canary

usage() {
  cat <<EOF
Usage: ./deploy.sh [--project ID] [--region REGION] [--tag TAG | --image IMAGE] [--builder cloud-build|docker]
                   [--render-dir DIR] [--dry-run]

Builds and deploys manim-render to Cloud Run. Needs gcloud and jq (and docker with --builder docker); run
./setup-gcp.sh first.

  --project ID         project (or PROJECT_ID)
  --region REGION      region (or REGION)
  --tag TAG            image tag to build (default: the git commit, with -dirty for uncommitted changes)
  --image IMAGE        deploy this image as it is and build nothing (a rollback, say)
  --builder B          cloud-build (default: builds in the project) or docker (builds here, then pushes)
  --render-dir DIR     keep the filled-in service files in DIR (default: a temporary directory)
  --dry-run            run only read-only gcloud queries; print every command that would change something
  -h, --help           this help

Settings from the environment (defaults in brackets); the first group must match what setup-gcp.sh used:
  BUCKET [PROJECT_ID-manim-renders]  TASKS_QUEUE [manim-render]  TASKS_LOCATION [REGION]
  FIRESTORE_DATABASE [(default)]     REPOSITORY [manim-render]   JOB_RETENTION_DAYS [30]
  RENDER_MAX_INSTANCES [10] (also the queue's max concurrent dispatches)
  QUEUE_MAX_DISPATCHES_PER_SECOND [5] TASK_MAX_ATTEMPTS [5]  TASK_MIN_BACKOFF_MS [1000]  TASK_MAX_BACKOFF_MS [60000]
  RENDER_MIN_INSTANCES [0]           API_MIN_INSTANCES [0]       API_MAX_INSTANCES [10]   API_CONCURRENCY [40]
  DEFAULT_TIMEOUT_SECONDS [120]      MAX_TIMEOUT_SECONDS [600]   RENDER_TIMEOUT_MARGIN_SECONDS [180]
  LOG_LEVEL [info]                   CANARY_TIMEOUT_SECONDS [300] (how long the canary render may take)
  DEPLOY_CANARY_QUEUE [manim-deploy-canary], as setup-gcp.sh created it
  AUTH_ALLOWLIST  callers the API accepts besides the scheduler account (emails, @domain; comma-separated)
  BATCH_SOURCES   JSON: the gs:// prefixes each caller may name as a batch source [the scheduler's NIGHTLY_PREFIX]
  NIGHTLY_PREFIX  [gs://BUCKET/scenes/nightly/], as setup-gcp.sh used it
  API_INVOKERS    IAM members given run.invoker on manim-api (e.g. serviceAccount:web@p.iam.gserviceaccount.com)
EOF
}

parse_args() {
  TAG=${TAG:-}
  IMAGE=${IMAGE:-}
  BUILDER=${BUILDER:-cloud-build}
  RENDER_DIR=${RENDER_DIR:-}
  while [ $# -gt 0 ]; do
    case $1 in
      --project) PROJECT_ID=${2:?--project needs a value}; shift 2 ;;
      --project=*) PROJECT_ID=${1#*=}; shift ;;
      --region) REGION=${2:?--region needs a value}; shift 2 ;;
      --region=*) REGION=${1#*=}; shift ;;
      --tag) TAG=${2:?--tag needs a value}; shift 2 ;;
      --tag=*) TAG=${1#*=}; shift ;;
      --image) IMAGE=${2:?--image needs a value}; shift 2 ;;
      --image=*) IMAGE=${1#*=}; shift ;;
      --builder) BUILDER=${2:?--builder needs a value}; shift 2 ;;
      --builder=*) BUILDER=${1#*=}; shift ;;
      --render-dir) RENDER_DIR=${2:?--render-dir needs a value}; shift 2 ;;
      --render-dir=*) RENDER_DIR=${1#*=}; shift ;;
      --dry-run) DRY_RUN=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  case $BUILDER in cloud-build | docker) ;; *) die "--builder must be cloud-build or docker" ;; esac
}

load_deploy_settings() {
  LOG_LEVEL=${LOG_LEVEL:-info}
  RENDER_MIN_INSTANCES=${RENDER_MIN_INSTANCES:-0}
  API_MIN_INSTANCES=${API_MIN_INSTANCES:-0}
  API_MAX_INSTANCES=${API_MAX_INSTANCES:-10}
  API_CONCURRENCY=${API_CONCURRENCY:-40}
  DEFAULT_TIMEOUT_SECONDS=${DEFAULT_TIMEOUT_SECONDS:-120}
  MAX_TIMEOUT_SECONDS=${MAX_TIMEOUT_SECONDS:-600}
  RENDER_TIMEOUT_MARGIN_SECONDS=${RENDER_TIMEOUT_MARGIN_SECONDS:-180}
  API_INVOKERS=${API_INVOKERS:-}
  CANARY_TIMEOUT_SECONDS=${CANARY_TIMEOUT_SECONDS:-300}
  require_int CANARY_TIMEOUT_SECONDS "$CANARY_TIMEOUT_SECONDS" 10 3600

  case $LOG_LEVEL in error | warn | info | debug) ;; *) die "LOG_LEVEL must be error, warn, info or debug" ;; esac
  require_int RENDER_MIN_INSTANCES "$RENDER_MIN_INSTANCES" 0 "$RENDER_MAX_INSTANCES"
  require_int API_MAX_INSTANCES "$API_MAX_INSTANCES" 1 1000
  require_int API_MIN_INSTANCES "$API_MIN_INSTANCES" 0 "$API_MAX_INSTANCES"
  require_int API_CONCURRENCY "$API_CONCURRENCY" 1 1000
  require_int MAX_TIMEOUT_SECONDS "$MAX_TIMEOUT_SECONDS" 1 3600
  require_int DEFAULT_TIMEOUT_SECONDS "$DEFAULT_TIMEOUT_SECONDS" 1 "$MAX_TIMEOUT_SECONDS"
  require_int RENDER_TIMEOUT_MARGIN_SECONDS "$RENDER_TIMEOUT_MARGIN_SECONDS" 30 900
  RENDERER_TIMEOUT_SECONDS=$((MAX_TIMEOUT_SECONDS + RENDER_TIMEOUT_MARGIN_SECONDS))
  if ((RENDERER_TIMEOUT_SECONDS > MAX_DISPATCH_DEADLINE_SECONDS)); then
    die "MAX_TIMEOUT_SECONDS + RENDER_TIMEOUT_MARGIN_SECONDS is ${RENDERER_TIMEOUT_SECONDS}s, over Cloud Tasks'" \
      "${MAX_DISPATCH_DEADLINE_SECONDS}s dispatch deadline: lower MAX_TIMEOUT_SECONDS"
  fi

  # The scheduler's canary must always get in; operators add their own callers.
  AUTH_ALLOWLIST=$SCHEDULER_SA${AUTH_ALLOWLIST:+,$AUTH_ALLOWLIST}
  [[ $AUTH_ALLOWLIST =~ ^[A-Za-z0-9@._:,+-]+$ ]] || die "AUTH_ALLOWLIST has characters an email list cannot have"

  # The batch sources each caller may name (the ingress reads them as itself): by default the scheduler's nightly
  # prefix, which setup-gcp.sh's manim-nightly job names, and nothing else.
  NIGHTLY_PREFIX=${NIGHTLY_PREFIX:-gs://$BUCKET/scenes/nightly/}
  [[ $NIGHTLY_PREFIX =~ ^gs://[a-z0-9][a-z0-9._-]+/([A-Za-z0-9._/-]*/)?$ ]] || die "NIGHTLY_PREFIX must look like gs://bucket/prefix/"
  BATCH_SOURCES=${BATCH_SOURCES:-$(printf '{"%s":["%s"]}' "$SCHEDULER_SA" "$NIGHTLY_PREFIX")}
  [[ $BATCH_SOURCES != *"'"* ]] || die "BATCH_SOURCES must not contain a single quote"
}

image_tag() {
  if [ -n "$TAG" ]; then
    printf '%s\n' "$TAG"
    return
  fi
  git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: pass --tag"
  local tag
  tag=$(git -C "$ROOT" rev-parse --short=12 HEAD)
  # A tag must not claim a commit the image was not built from.
  [ -z "$(git -C "$ROOT" status --porcelain)" ] || tag="$tag-dirty-$(date -u +%Y%m%d%H%M%S)"
  printf '%s\n' "$tag"
}

# Deploying needs what setup-gcp.sh creates; say so plainly rather than fail halfway through.
check_prerequisites() {
  local missing=() sa
  exists tasks queues describe "$TASKS_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" ||
    missing+=("queue $TASKS_QUEUE")
  exists tasks queues describe "$WEBHOOK_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" ||
    missing+=("queue $WEBHOOK_QUEUE")
  exists tasks queues describe "$DEPLOY_CANARY_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" ||
    missing+=("queue $DEPLOY_CANARY_QUEUE")
  exists storage buckets describe "gs://$BUCKET" --project="$PROJECT_ID" || missing+=("bucket gs://$BUCKET")
  exists artifacts repositories describe "$REPOSITORY" --location="$REGION" --project="$PROJECT_ID" ||
    missing+=("repository $REPOSITORY")
  for sa in "$API_SA" "$RENDERER_SA" "$TASKS_INVOKER_SA" "$SCHEDULER_SA"; do
    exists iam service-accounts describe "$sa" --project="$PROJECT_ID" || missing+=("service account $sa")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$DRY_RUN" = true ]; then
    note "warning: missing (run ./setup-gcp.sh first): ${missing[*]}"
  else
    die "missing (run ./setup-gcp.sh first): ${missing[*]}"
  fi
}

build_image() {
  if [ -n "$IMAGE" ]; then
    note "deploying $IMAGE as it is"
    return
  fi
  IMAGE="$REGION-docker.pkg.dev/$PROJECT_ID/$REPOSITORY/$IMAGE_NAME:$(image_tag)"
  note "building $IMAGE with $BUILDER"
  if [ "$BUILDER" = docker ]; then
    mutate gcloud auth configure-docker "$REGION-docker.pkg.dev" --quiet
    # Cloud Run runs linux/amd64 images, whatever this machine is.
    mutate docker build --platform=linux/amd64 --tag="$IMAGE" "$ROOT"
    mutate docker push "$IMAGE"
  else
    # The image build compiles pycairo and installs TeX: more than the default machine and 10 minutes.
    mutate gcloud builds submit "$ROOT" --project="$PROJECT_ID" --tag="$IMAGE" \
      --machine-type=e2-highcpu-8 --timeout=30m
  fi
}

# This deploy's revision names: the service's name, the image tag and the time, so each deploy's are new.
name_revisions() {
  local suffix
  suffix=$(printf '%s' "${IMAGE##*:}" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9-' '-' | cut -c1-20)
  suffix="${suffix%-}-$(date -u +%y%m%d%H%M%S)"
  RENDERER_REVISION="$RENDERER_SERVICE-$suffix"
  API_REVISION="$API_SERVICE-$suffix"
}

# The revisions serving a service now, with their percentages, as a JSON list (empty for a first deploy).
serving_revisions() {
  query '{}' run services describe "$1" --region="$REGION" --project="$PROJECT_ID" --format=json |
    jq -c '[.status.traffic[]? | select((.percent // 0) > 0) | {revisionName, percent}]'
}

# service.yaml's traffic for a service (one line of JSON, which YAML reads as a list): what serves now keeps its
# traffic and the new revision gets none, only its tag. A first deploy has nothing to keep: all of it goes to the
# new revision, which the canary then checks.
traffic_of() {
  local serving=$1 revision=$2
  jq -c --arg revision "$revision" --arg tag "$CANARY_TAG" '
    if length == 0 then [{revisionName: $revision, percent: 100, tag: $tag}]
    else . + [{revisionName: $revision, percent: 0, tag: $tag}] end' <<<"$serving"
}

plan_traffic() {
  RENDERER_SERVING=$(serving_revisions "$RENDERER_SERVICE")
  API_SERVING=$(serving_revisions "$API_SERVICE")
  # shellcheck disable=SC2034 # read by fill_placeholders
  RENDERER_TRAFFIC=$(traffic_of "$RENDERER_SERVING" "$RENDERER_REVISION")
  # shellcheck disable=SC2034 # read by fill_placeholders
  API_TRAFFIC=$(traffic_of "$API_SERVING" "$API_REVISION")
  note "new revisions $RENDERER_REVISION and $API_REVISION, with no traffic until the canary passes"
}

# Fills service.yaml's placeholders and writes one file per service into RENDER_DIR.
render_services() {
  local text name
  text=$(fill_placeholders "$ROOT/service.yaml" "${PLACEHOLDERS[@]}")
  mkdir -p "$RENDER_DIR"
  # One document per service: `gcloud run services replace` takes a single service per file.
  awk -v dir="$RENDER_DIR" '
    function flush(  n, i, lines, name) {
      if (doc !~ /apiVersion:/) { doc = ""; return }
      n = split(doc, lines, "\n")
      for (i = 1; i <= n; i++) if (lines[i] ~ /^  name: /) { name = substr(lines[i], 9); break }
      if (name == "") { print "a document in service.yaml has no metadata.name" > "/dev/stderr"; exit 1 }
      printf "%s", doc > (dir "/" name ".yaml")
      close(dir "/" name ".yaml")
      doc = ""
    }
    /^---/ { flush(); next }
    { doc = doc $0 "\n" }
    END { flush() }' <<<"$text"
  for name in "$RENDERER_SERVICE" "$API_SERVICE"; do
    [ -f "$RENDER_DIR/$name.yaml" ] || die "service.yaml has no $name service"
  done
}

# `services replace` waits for the new revision to be ready (its startup probe: /readyz). A revision that never
# is leaves traffic where it was; say why in Cloud Run's words and the revision's own (its warnings and errors,
# which include what /readyz refused).
deploy_service() {
  local service=$1 revision=$2
  if mutate gcloud run services replace "$RENDER_DIR/$service.yaml" --region="$REGION" --project="$PROJECT_ID"; then
    return
  fi
  explain_revision "$revision"
  die "revision $revision of $service did not become ready; traffic is where it was"
}

explain_revision() {
  local revision=$1
  note "revision $revision: $(gcloud run revisions describe "$revision" --region="$REGION" --project="$PROJECT_ID"     --format='value(status.conditions.message)' 2>&1 | tr '\n' ' ')"
  gcloud logging read --project="$PROJECT_ID" --limit=20 --freshness=1h --format='value(jsonPayload.message,jsonPayload.metadata)'     "resource.type=\"cloud_run_revision\" AND resource.labels.revision_name=\"$revision\" AND severity>=WARNING" >&2 ||
    note "could not read the logs of $revision"
}

# One render through the new renderer revision, before it has any traffic: a task on the canary queue posted to
# its tag URL with the invoker's token, like every task. The revision writes the outcome (and the video) under
# gs://BUCKET/canary/ID/, which this waits for. Passes only if the new revision itself rendered the scene.
run_canary() {
  local tag_url canary_id body outcome deadline
  tag_url="https://$CANARY_TAG---$RENDERER_SERVICE-$PROJECT_NUMBER.$REGION.run.app"
  canary_id="$RENDERER_REVISION-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  body=$(jq -cn --arg id "$canary_id" '{type: "canary-render", version: 1, canaryId: $id}')
  note "canary: a render through $RENDERER_REVISION at $tag_url"
  mutate gcloud tasks create-http-task --queue="$DEPLOY_CANARY_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" \
    --url="$tag_url/tasks" --method=POST --header=Content-Type:application/json --body-content="$body" \
    --oidc-service-account-email="$TASKS_INVOKER_SA" --oidc-token-audience="$RENDERER_URL" --format=none
  if [ "$DRY_RUN" = true ]; then
    note "canary: would wait up to ${CANARY_TIMEOUT_SECONDS}s for gs://$BUCKET/canary/$canary_id/outcome.json"
    return
  fi
  deadline=$((SECONDS + CANARY_TIMEOUT_SECONDS))
  until outcome=$(gcloud storage cat "gs://$BUCKET/canary/$canary_id/outcome.json" --project="$PROJECT_ID" 2>/dev/null); do
    if ((SECONDS >= deadline)); then
      explain_revision "$RENDERER_REVISION"
      die "canary: no outcome within ${CANARY_TIMEOUT_SECONDS}s; traffic is where it was"
    fi
    sleep 5
  done
  if [ "$(jq -r '.ok' <<<"$outcome")" != true ]; then
    note "canary failed: $(jq -r '.reason' <<<"$outcome")"
    jq -r '.readiness // {} | to_entries[] | select(.value.ok | not) | "  \(.key): \(.value.detail // "not ok")"' <<<"$outcome" >&2
    jq -r '.log // empty' <<<"$outcome" | tail -n 20 >&2
    die "canary: $RENDERER_REVISION did not render; traffic is where it was"
  fi
  if [ "$(jq -r '.revision' <<<"$outcome")" != "$RENDERER_REVISION" ]; then
    die "canary: answered by revision $(jq -r '.revision' <<<"$outcome"), not $RENDERER_REVISION; traffic is where it was"
  fi
  note "canary passed: $RENDERER_REVISION rendered $(jq -r '"\(.video.width)x\(.video.height), \(.video.durationSeconds) s of video in \(.renderSeconds) s"' <<<"$outcome")"
}

# All traffic to the new revision, once the canary passed; a first deploy's already has it.
promote() {
  local service=$1 revision=$2 serving=$3
  if [ "$serving" = '[]' ]; then
    note "$service: first deploy, $revision already serves"
    return
  fi
  mutate gcloud run services update-traffic "$service" --to-revisions="$revision=100" --region="$REGION" \
    --project="$PROJECT_ID" --format=none
}

grant_invoker() {
  local service=$1 member=$2
  ensure_binding roles/run.invoker "$member" run services VERB "$service" --region="$REGION" --project="$PROJECT_ID"
}

# The API's own callers (a web backend's service account, a group of people): Cloud Run admits them.
grant_api_invokers() {
  local member members=()
  IFS=',' read -r -a members <<<"$API_INVOKERS"
  for member in "${members[@]}"; do
    if [ -n "$member" ]; then
      grant_invoker "$API_SERVICE" "$member"
    fi
  done
}

# Rate and retry settings, and queue-level routing: every task goes to this renderer's /tasks with a token of
# the invoker account, whatever URL it was enqueued with (so tasks queued before a URL change still arrive).
update_queue() {
  queue_settings_flags
  mutate gcloud tasks queues update "$TASKS_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" \
    "${QUEUE_FLAGS[@]}" \
    --http-uri-override="scheme:https,host:${RENDERER_URL#https://},path:/tasks,mode:ALWAYS" \
    --http-oidc-service-account-email-override="$TASKS_INVOKER_SA" \
    --http-oidc-token-audience-override="$RENDERER_URL"
}

# The webhook queue likewise, to the ingress's /tasks/webhooks: deliveries wait on other people's servers there,
# among the ingress's many concurrent requests, never in a renderer instance's one.
update_webhook_queue() {
  queue_settings_flags "$WEBHOOK_MAX_DISPATCHES"
  mutate gcloud tasks queues update "$WEBHOOK_QUEUE" --location="$TASKS_LOCATION" --project="$PROJECT_ID" \
    "${QUEUE_FLAGS[@]}" \
    --http-uri-override="scheme:https,host:${INGRESS_URL#https://},path:/tasks/webhooks,mode:ALWAYS" \
    --http-oidc-service-account-email-override="$TASKS_INVOKER_SA" \
    --http-oidc-token-audience-override="$INGRESS_URL"
}

print_urls() {
  local service url
  for service in "$API_SERVICE" "$RENDERER_SERVICE"; do
    url=$(service_url "$service")
    if [ "$DRY_RUN" != true ]; then
      url=$(gcloud run services describe "$service" --region="$REGION" --project="$PROJECT_ID" \
        --format='value(status.url)')
    fi
    printf '%s\t%s\n' "$service" "$url"
  done
}

main() {
  parse_args "$@"
  load_settings
  load_deploy_settings
  require_tools gcloud jq
  if [ "$BUILDER" = docker ] && [ -z "$IMAGE" ] && [ "$DRY_RUN" != true ]; then require_tools docker; fi
  PROJECT_NUMBER=$(project_number)
  # The deterministic URL: known before the first deploy, so the renderer's own audience and the ingress's
  # target are settled in one pass.
  RENDERER_URL=$(service_url "$RENDERER_SERVICE")
  INGRESS_URL=$(service_url "$API_SERVICE")
  if [ -z "$RENDER_DIR" ]; then
    RENDER_DIR=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
    trap "rm -rf '$RENDER_DIR'" EXIT
  fi
  note "project $PROJECT_ID ($PROJECT_NUMBER), region $REGION$([ "$DRY_RUN" = true ] && echo ', dry run')"

  check_prerequisites
  build_image
  name_revisions
  plan_traffic
  render_services
  # Both new revisions first, with no traffic; the queues and grants as they must be; then the canary through
  # the new renderer; only then traffic, the renderer's first (the new ingress may enqueue what only it knows).
  deploy_service "$RENDERER_SERVICE" "$RENDERER_REVISION"
  grant_invoker "$RENDERER_SERVICE" "serviceAccount:$TASKS_INVOKER_SA"
  update_queue
  deploy_service "$API_SERVICE" "$API_REVISION"
  grant_invoker "$API_SERVICE" "serviceAccount:$SCHEDULER_SA"
  grant_invoker "$API_SERVICE" "serviceAccount:$TASKS_INVOKER_SA"
  update_webhook_queue
  grant_api_invokers
  run_canary
  promote "$RENDERER_SERVICE" "$RENDERER_REVISION" "$RENDERER_SERVING"
  promote "$API_SERVICE" "$API_REVISION" "$API_SERVING"
  print_urls
}

main "$@"
