# shellcheck shell=bash
# shellcheck disable=SC2034 # settings defined here are used by the scripts that source this file
#
# Shared by setup-gcp.sh, deploy.sh and monitoring/apply.sh: the names all three must agree on, their defaults
# (each can be overridden from the environment), and the helpers behind --dry-run and create-or-skip.
# Sourced, never run: the caller sets SCRIPT_NAME and `set -euo pipefail` first.

# Fixed names: service.yaml, monitoring/ and the docs refer to them.
readonly API_SERVICE=manim-api
readonly RENDERER_SERVICE=manim-renderer

DRY_RUN=false

die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

note() {
  printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is required but is not on PATH"
  done
}

require_int() {
  local name=$1 value=$2 min=$3 max=$4
  if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value < min || 10#$value > max)); then
    die "$name must be an integer from $min to $max (got '$value')"
  fi
}

# Every setting shared by the scripts. PROJECT_ID and REGION have no default: they name what is changed.
load_settings() {
  [ -n "${PROJECT_ID:-}" ] || die "PROJECT_ID is not set (use --project or the PROJECT_ID environment variable)"
  [ -n "${REGION:-}" ] || die "REGION is not set (use --region or the REGION environment variable)"
  REPOSITORY=${REPOSITORY:-manim-render}
  IMAGE_NAME=${IMAGE_NAME:-manim-render}
  BUCKET=${BUCKET:-${PROJECT_ID}-manim-renders}
  TASKS_QUEUE=${TASKS_QUEUE:-manim-render}
  # Webhook deliveries have a queue of their own, posting to the ingress: a slow target holds no renderer.
  WEBHOOK_QUEUE=${WEBHOOK_QUEUE:-manim-webhooks}
  WEBHOOK_MAX_DISPATCHES=${WEBHOOK_MAX_DISPATCHES:-20}
  # deploy.sh's canary renders go through a queue of their own, with no routing override: each is posted to one
  # new revision's tag URL.
  DEPLOY_CANARY_QUEUE=${DEPLOY_CANARY_QUEUE:-manim-deploy-canary}
  TASKS_LOCATION=${TASKS_LOCATION:-$REGION}
  FIRESTORE_DATABASE=${FIRESTORE_DATABASE:-(default)}
  FIRESTORE_LOCATION=${FIRESTORE_LOCATION:-$REGION}
  JOB_RETENTION_DAYS=${JOB_RETENTION_DAYS:-30}
  # The renderer's max instances and the queue's max concurrent dispatches: one number, so they cannot drift.
  RENDER_MAX_INSTANCES=${RENDER_MAX_INSTANCES:-10}
  QUEUE_MAX_DISPATCHES_PER_SECOND=${QUEUE_MAX_DISPATCHES_PER_SECOND:-5}
  # The same retry policy the service's config has (TASK_MAX_ATTEMPTS...): the renderer fails a scene for good
  # on what the queue says is its last attempt.
  TASK_MAX_ATTEMPTS=${TASK_MAX_ATTEMPTS:-5}
  TASK_MIN_BACKOFF_MS=${TASK_MIN_BACKOFF_MS:-1000}
  TASK_MAX_BACKOFF_MS=${TASK_MAX_BACKOFF_MS:-60000}

  API_SA=manim-api@${PROJECT_ID}.iam.gserviceaccount.com
  RENDERER_SA=manim-renderer@${PROJECT_ID}.iam.gserviceaccount.com
  TASKS_INVOKER_SA=manim-tasks-invoker@${PROJECT_ID}.iam.gserviceaccount.com
  SCHEDULER_SA=manim-scheduler@${PROJECT_ID}.iam.gserviceaccount.com

  require_int JOB_RETENTION_DAYS "$JOB_RETENTION_DAYS" 1 3650
  require_int RENDER_MAX_INSTANCES "$RENDER_MAX_INSTANCES" 1 1000
  require_int QUEUE_MAX_DISPATCHES_PER_SECOND "$QUEUE_MAX_DISPATCHES_PER_SECOND" 1 500
  require_int TASK_MAX_ATTEMPTS "$TASK_MAX_ATTEMPTS" 1 100
  require_int TASK_MIN_BACKOFF_MS "$TASK_MIN_BACKOFF_MS" 1000 3600000
  require_int TASK_MAX_BACKOFF_MS "$TASK_MAX_BACKOFF_MS" "$TASK_MIN_BACKOFF_MS" 3600000
  # Cloud Tasks takes whole seconds here; refusing a fraction beats rounding it silently.
  ((TASK_MIN_BACKOFF_MS % 1000 == 0 && TASK_MAX_BACKOFF_MS % 1000 == 0)) \
    || die "TASK_MIN_BACKOFF_MS and TASK_MAX_BACKOFF_MS must be whole seconds (multiples of 1000)"
}

# The queue's rate and retry settings, for `tasks queues create` and `update` alike.
queue_settings_flags() {
  QUEUE_FLAGS=(
    "--max-concurrent-dispatches=${1:-$RENDER_MAX_INSTANCES}"
    "--max-dispatches-per-second=$QUEUE_MAX_DISPATCHES_PER_SECOND"
    "--max-attempts=$TASK_MAX_ATTEMPTS"
    "--min-backoff=$((TASK_MIN_BACKOFF_MS / 1000))s"
    "--max-backoff=$((TASK_MAX_BACKOFF_MS / 1000))s"
    # Doubling from min to max, as the embedded queue and the renderer's retry accounting assume.
    "--max-doublings=16"
  )
}

# Runs a command that changes something; with --dry-run prints it instead, quoted so it can be pasted.
# Read-only queries (describe, list) are not wrapped: they run in a dry run too, so it shows what would change.
mutate() {
  if [ "$DRY_RUN" = true ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    return 0
  fi
  "$@"
}

# mutate, tried again a few times: a binding that names a service account created a moment ago can fail until
# IAM has propagated it.
mutate_with_retries() {
  local attempt
  for attempt in 1 2 3 4; do
    if mutate "$@"; then return 0; fi
    note "attempt $attempt failed; retrying in $((attempt * 5))s"
    sleep $((attempt * 5))
  done
  mutate "$@"
}

# Why a gcloud query failed, from its error output: "absent" when what it asked about is not there, and, in a
# dry run only, when its API is not enabled yet (enabling it is among the commands printed); "unasked" in a dry run
# where gcloud has no credentials (the plan is still printed, as for a project where nothing exists yet); "error"
# otherwise.
classify_failure() {
  local err_file=$1
  if [ "$DRY_RUN" = true ] && grep -qiE 'active account selected|gcloud auth login|gcloud auth application-default|Reauthentication|no credentials' "$err_file"; then
    echo unasked
  elif grep -qiE 'NOT_FOUND|not found|does not exist|Cannot find' "$err_file"; then
    echo absent
  elif [ "$DRY_RUN" = true ] && grep -qiE 'SERVICE_DISABLED|has not been used in project|is disabled' "$err_file"; then
    echo absent
  else
    echo error
  fi
}

# Says once, in a dry run without gcloud credentials, that queries are not being made.
UNASKED_NOTED=false
note_unasked() {
  if [ "$UNASKED_NOTED" = false ]; then
    note "not logged in to gcloud: queries are not made (shown as 'not asked'); the plan below assumes nothing exists yet"
    UNASKED_NOTED=true
  fi
  note "not asked: gcloud $*"
}

# Runs the read-only `gcloud ARGS...` and prints its output, or FALLBACK when what it asks about is absent (or, in
# a dry run without credentials, could not be asked). Any other error (no permission, a typo) stops the script: it
# is never taken for "absent".
query() {
  local fallback=$1 out err_file
  shift
  err_file=$(mktemp)
  if out=$(gcloud "$@" 2>"$err_file"); then
    rm -f "$err_file"
    printf '%s\n' "$out"
    return
  fi
  case $(classify_failure "$err_file") in
    absent)
      rm -f "$err_file"
      printf '%s\n' "$fallback"
      return
      ;;
    unasked)
      rm -f "$err_file"
      note_unasked "$@"
      printf '%s\n' "$fallback"
      return
      ;;
  esac
  cat "$err_file" >&2
  rm -f "$err_file"
  die "gcloud $* failed (see above)"
}

# Succeeds when `gcloud ARGS...` (a describe) finds the resource, fails when it is absent; stops on other errors.
exists() {
  local err_file
  err_file=$(mktemp)
  if gcloud "$@" >/dev/null 2>"$err_file"; then
    rm -f "$err_file"
    return 0
  fi
  case $(classify_failure "$err_file") in
    absent)
      rm -f "$err_file"
      return 1
      ;;
    unasked)
      rm -f "$err_file"
      note_unasked "$@"
      return 1
      ;;
  esac
  cat "$err_file" >&2
  rm -f "$err_file"
  die "gcloud $* failed (see above)"
}

# The IAM policy of a resource as JSON: `gcloud ARGS...` with the verb written VERB. A resource that does not
# exist yet (in a dry run, or one created a moment ago) has no bindings.
iam_policy() {
  query '{}' "${@/#VERB/get-iam-policy}" --format=json
}

# Grants ROLE to MEMBER on a resource unless its policy already has that (unconditional) binding, so a second run
# writes no policy. The rest of the arguments name the resource for gcloud, with the verb written VERB:
#   ensure_binding roles/run.invoker serviceAccount:x@p.iam.gserviceaccount.com run services VERB svc --region=r
ensure_binding() {
  local role=$1 member=$2 policy extra=()
  shift 2
  policy=$(iam_policy "$@")
  if jq -e --arg role "$role" --arg member "$member" \
    'any(.bindings[]? | select(.role == $role and .condition == null); any(.members[]; . == $member))' \
    <<<"$policy" >/dev/null; then
    note "$member has $role on $(printf '%s ' "${@/#VERB/}" | tr -s ' ')"
    return
  fi
  # A project policy may hold conditional bindings; without this gcloud would stop and ask which condition.
  if [ "$1" = projects ]; then extra=(--condition=None); fi
  mutate_with_retries gcloud "${@/#VERB/add-iam-policy-binding}" --member="$member" --role="$role" "${extra[@]}" \
    --format=none
}

# Prints FILE with each ${NAME} placeholder, for the NAMEs given, replaced by that variable's value. A placeholder
# left over (upper-case, so a dashboard's legend template such as ${resource.labels.x} is not one) is an error.
fill_placeholders() {
  local file=$1 text name value
  shift
  text=$(<"$file")
  for name in "$@"; do
    value=${!name}
    text=${text//"\${$name}"/"$value"}
  done
  if [[ $text =~ \$\{[A-Z][A-Z0-9_]*\} ]]; then
    die "$file has a placeholder this script does not fill: ${BASH_REMATCH[0]}"
  fi
  printf '%s\n' "$text"
}

project_number() {
  local number
  number=$(query PROJECT_NUMBER projects describe "$PROJECT_ID" --format='value(projectNumber)')
  # A dry run that could not ask shows the URLs with the number left as a placeholder.
  if [ "$DRY_RUN" = true ] && [ "$number" = PROJECT_NUMBER ]; then
    printf '%s\n' "$number"
    return
  fi
  [[ $number =~ ^[0-9]+$ ]] || die "could not read the project number of $PROJECT_ID"
  printf '%s\n' "$number"
}

# A Cloud Run service's deterministic URL, known before its first deploy: what the queue, the OIDC audiences and
# the scheduler use, so nothing depends on the order things were created in.
service_url() {
  printf 'https://%s-%s.%s.run.app\n' "$1" "$PROJECT_NUMBER" "$REGION"
}
