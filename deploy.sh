#!/usr/bin/env bash
# Builds the image and deploys manim-renderer and manim-api from service.yaml, lets the tasks invoker call the
# renderer and the scheduler call the API, points the queue at the renderer with its rate and retry settings,
# and prints the URLs. Idempotent: every step states the desired result, so running it again converges.
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
)

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
  LOG_LEVEL [info]
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

deploy_service() {
  mutate gcloud run services replace "$RENDER_DIR/$1.yaml" --region="$REGION" --project="$PROJECT_ID"
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
  render_services
  # The renderer first: the ingress starts sending it work as soon as it is up.
  deploy_service "$RENDERER_SERVICE"
  grant_invoker "$RENDERER_SERVICE" "serviceAccount:$TASKS_INVOKER_SA"
  update_queue
  deploy_service "$API_SERVICE"
  grant_invoker "$API_SERVICE" "serviceAccount:$SCHEDULER_SA"
  grant_invoker "$API_SERVICE" "serviceAccount:$TASKS_INVOKER_SA"
  update_webhook_queue
  grant_api_invokers
  print_urls
}

main "$@"
