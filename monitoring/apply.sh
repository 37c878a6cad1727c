#!/usr/bin/env bash
# Applies manim-render's monitoring to a project: the log-based metrics (log-metrics/), an uptime check on
# manim-api's /readyz, the dashboard (dashboards/) and the alert policies (alerts/). Idempotent: each object is
# looked up by name and updated if it exists, created if not. Run it after ./deploy.sh (the uptime check calls the
# deployed API). What each alert means and what to do: README.md beside this script.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_NAME=monitoring/apply.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=scripts/gcp-lib.sh
source "$ROOT/scripts/gcp-lib.sh"

readonly UPTIME_CHECK_NAME="manim-api readyz"
# Placeholders the monitoring files may use.
readonly PLACEHOLDERS=(TASKS_QUEUE UPTIME_CHECK_ID)

usage() {
  cat <<EOF
Usage: monitoring/apply.sh [--project ID] [--region REGION] [--notification-channels NAMES] [--render-dir DIR]
                           [--dry-run]

Creates or updates manim-render's log-based metrics, uptime check, dashboard and alert policies. Needs gcloud
(a recent release: it uses \`gcloud monitoring policies\`) and jq.

  --project ID                   project (or PROJECT_ID)
  --region REGION                region the services run in (or REGION)
  --notification-channels NAMES  comma-separated channel names (projects/P/notificationChannels/ID) the alerts
                                 notify (or NOTIFICATION_CHANNELS); list them: gcloud beta monitoring channels list
  --render-dir DIR               keep the filled-in dashboard and alert files in DIR (default: a temporary one)
  --dry-run                      run only read-only gcloud queries; print every command that would change something
  -h, --help                     this help

TASKS_QUEUE [manim-render] must match what setup-gcp.sh and deploy.sh used.
EOF
}

parse_args() {
  NOTIFICATION_CHANNELS=${NOTIFICATION_CHANNELS:-}
  WORK_DIR=
  while [ $# -gt 0 ]; do
    case $1 in
      --project) PROJECT_ID=${2:?--project needs a value}; shift 2 ;;
      --project=*) PROJECT_ID=${1#*=}; shift ;;
      --region) REGION=${2:?--region needs a value}; shift 2 ;;
      --region=*) REGION=${1#*=}; shift ;;
      --notification-channels) NOTIFICATION_CHANNELS=${2:?--notification-channels needs a value}; shift 2 ;;
      --notification-channels=*) NOTIFICATION_CHANNELS=${1#*=}; shift ;;
      --render-dir) WORK_DIR=${2:?--render-dir needs a value}; shift 2 ;;
      --render-dir=*) WORK_DIR=${1#*=}; shift ;;
      --dry-run) DRY_RUN=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
}

# The one object named NAME among those `gcloud LIST_ARGS...` lists, or nothing; two of them is an error, as
# updating either would leave the other behind.
find_by_display_name() {
  local name=$1 found
  shift
  found=$(gcloud "$@" --project="$PROJECT_ID" --filter="displayName=\"$name\"" --format='value(name)')
  if [ "$(grep -c . <<<"$found")" -gt 1 ]; then
    die "more than one object is named '$name'; delete the extra ones: $(tr '\n' ' ' <<<"$found")"
  fi
  printf '%s' "$found"
}

apply_log_metrics() {
  local file name
  for file in "$HERE"/log-metrics/*.json; do
    name=$(jq -r .name "$file")
    if exists logging metrics describe "$name" --project="$PROJECT_ID"; then
      mutate gcloud logging metrics update "$name" --project="$PROJECT_ID" --config-from-file="$file"
    else
      mutate gcloud logging metrics create "$name" --project="$PROJECT_ID" --config-from-file="$file"
    fi
  done
}

# Sets UPTIME_CHECK_ID, which the uptime alert refers to.
apply_uptime_check() {
  local api_host found
  api_host=$(service_url "$API_SERVICE")
  api_host=${api_host#https://}
  found=$(find_by_display_name "$UPTIME_CHECK_NAME" monitoring uptime list-configs)
  if [ -z "$found" ]; then
    # The service agent's OIDC token gets the check past Cloud Run's invoker check (granted below); /readyz sits
    # in front of the API's own authentication.
    mutate gcloud monitoring uptime create "$UPTIME_CHECK_NAME" --project="$PROJECT_ID" \
      --resource-type=uptime-url --resource-labels="host=$api_host,project_id=$PROJECT_ID" \
      --protocol=https --port=443 --path=/readyz --request-method=get --validate-ssl=true --status-codes=200 \
      --period=5 --timeout=10 --regions=usa-oregon,usa-virginia,europe,asia-pacific \
      --service-agent-auth=oidc-token
    if [ "$DRY_RUN" = true ]; then
      # shellcheck disable=SC2034 # read by fill_placeholders, by name
      UPTIME_CHECK_ID=UPTIME_CHECK_ID_AFTER_CREATE
      return
    fi
    found=$(find_by_display_name "$UPTIME_CHECK_NAME" monitoring uptime list-configs)
    [ -n "$found" ] || die "the uptime check was created but cannot be found"
  else
    note "uptime check '$UPTIME_CHECK_NAME' exists"
  fi
  # shellcheck disable=SC2034 # read by fill_placeholders, by name
  UPTIME_CHECK_ID=${found##*/}
}

# The uptime check calls the API and its alert would fire at once: refuse before changing anything.
require_api_deployed() {
  exists run services describe "$API_SERVICE" --region="$REGION" --project="$PROJECT_ID" && return
  [ "$DRY_RUN" = true ] || die "$API_SERVICE is not deployed: run ./deploy.sh first"
  note "warning: $API_SERVICE is not deployed yet; the uptime check needs it"
}

# Monitoring's service agent makes the uptime requests; manim-api admits it only with run.invoker.
grant_uptime_invoker() {
  ensure_binding roles/run.invoker \
    "serviceAccount:service-$PROJECT_NUMBER@gcp-sa-monitoring-notification.iam.gserviceaccount.com" \
    run services VERB "$API_SERVICE" --region="$REGION" --project="$PROJECT_ID"
}

apply_dashboards() {
  local file name found rendered etag
  for file in "$HERE"/dashboards/*.json; do
    name=$(jq -r .displayName "$file")
    rendered="$WORK_DIR/dashboard-$(basename "$file")"
    fill_placeholders "$file" "${PLACEHOLDERS[@]}" >"$rendered"
    found=$(find_by_display_name "$name" monitoring dashboards list)
    if [ -z "$found" ]; then
      mutate gcloud monitoring dashboards create --project="$PROJECT_ID" --config-from-file="$rendered"
      continue
    fi
    # An update carries the etag it read, so it cannot overwrite an edit made in between.
    etag=$(gcloud monitoring dashboards describe "$found" --project="$PROJECT_ID" --format='value(etag)')
    jq --arg etag "$etag" '.etag = $etag' "$rendered" >"$rendered.tmp" && mv "$rendered.tmp" "$rendered"
    mutate gcloud monitoring dashboards update "$found" --project="$PROJECT_ID" --config-from-file="$rendered"
  done
}

apply_alert_policies() {
  local channels file name found rendered
  channels=$(jq -cn --arg c "$NOTIFICATION_CHANNELS" '$c | split(",") | map(select(length > 0))')
  [ "$channels" != "[]" ] || note "warning: no --notification-channels: alerts will open incidents but notify nobody"
  for file in "$HERE"/alerts/*.json; do
    name=$(jq -r .displayName "$file")
    rendered="$WORK_DIR/alert-$(basename "$file")"
    fill_placeholders "$file" "${PLACEHOLDERS[@]}" | jq --argjson ch "$channels" '.notificationChannels = $ch' >"$rendered"
    found=$(find_by_display_name "$name" monitoring policies list)
    if [ -z "$found" ]; then
      mutate gcloud monitoring policies create --project="$PROJECT_ID" --policy-from-file="$rendered"
    else
      mutate gcloud monitoring policies update "$found" --project="$PROJECT_ID" --policy-from-file="$rendered"
    fi
  done
}

main() {
  parse_args "$@"
  load_settings
  require_tools gcloud jq
  PROJECT_NUMBER=$(project_number)
  if [ -z "$WORK_DIR" ]; then
    WORK_DIR=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
    trap "rm -rf '$WORK_DIR'" EXIT
  fi
  mkdir -p "$WORK_DIR"
  note "project $PROJECT_ID ($PROJECT_NUMBER), region $REGION$([ "$DRY_RUN" = true ] && echo ', dry run')"

  require_api_deployed
  # Metrics first: the alerts and the dashboard refer to them.
  apply_log_metrics
  apply_uptime_check
  grant_uptime_invoker
  apply_dashboards
  apply_alert_policies
  note "done"
}

main "$@"
