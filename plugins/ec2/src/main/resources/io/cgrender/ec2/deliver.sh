#!/bin/bash
# cgrender's delivery of one job's results, run on the box by the job itself right after its command, so that it
# happens whether or not a client is attached: it stores the outputs, a manifest, the render-cache entries and the
# log in S3, mails the user, and removes the job's working files once everything is stored (a failed upload keeps
# them and says so in the job's detail file). Only then does the job end and its --after request take effect.
#
# Usage: deliver.sh JOB_DIR EXIT_CODE STARTED_EPOCH
# Reads, from JOB_DIR/delivery/ (written by cgrender when it started the job):
#   env                what and where: mode (instance-profile | presigned), region, bucket, bucket_owner (the
#                      account that must own it: every request says so, S3 refuses it otherwise), prefix, location,
#                      job_id, title, box_id, instance_type, hourly_price, price_basis, email_to, email_from,
#                      links_expire and the URLs of the log, manifest and mail (put: presigned upload URL, link:
#                      presigned download link)
#   files.tsv          one output a line: NAME, PATH (below $HOME), EXIT_FILE (below $HOME), PUT_URL, LINK
#   cache.tsv          one render-cache entry a line: INDEX, KEY (in the bucket), EXIT_FILE, PUT_URL, the NAMEs it
#                      needs
#   cache-INDEX.json   the entry's content; "@sha256:NAME@" in it stands for the SHA-256 of the output NAME
#   manifest-head.json the manifest as cgrender knows it, without its closing brace
#   working.txt        the working directories (below $HOME) to remove once everything is stored
# A job on a spot instance that EC2 reclaims was stopped by spot-watch.sh, which wrote JOB_DIR/interrupted (at=, the
# reclaim time): the outputs that had finished are stored as always, the manifest says "interrupted": true with
# "interrupted_at", and the mail and the job's detail say so. Unfinished outputs are never stored nor cached.
# The files holding links or URLs (env, files.tsv, cache.tsv, mail.txt) and the job's command.sh are removed when it
# exits, stored or not.
# mode=instance-profile stores with the AWS CLI and the instance profile's short-lived credentials (from the instance
# metadata); mode=presigned stores with curl and URLs cgrender presigned, and leaves the mail to cgrender.
# AWS_ENDPOINT_URL, if set, is where the AWS CLI sends its requests.
set -u
job="$1"
code="$2"
started="$3"
d="$job/delivery"
# shellcheck source=/dev/null
. "$d/env"
# The download links (valid for days) and upload URLs are for this run alone: however it ends, none of them stays on
# the box, nor in an image made of it. The job's command.sh wrote them here, so it goes too.
trap 'rm -f -- "$d/env" "$d/files.tsv" "$d/cache.tsv" "$d/mail.txt" "$job/command.sh"' EXIT
ended="$(date -u +%s)"
interrupted_at=""
if [ -f "$job/interrupted" ]; then
  interrupted_at="$(sed -n 's/^at=//p' "$job/interrupted" | head -n 1)"
  interrupted_at="${interrupted_at:-unknown}"
fi
export AWS_RETRY_MODE="${AWS_RETRY_MODE:-standard}" AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-3}" AWS_PAGER=""

say() { echo "cgrender: $*"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
json() {
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; s="${s//$'\t'/\\t}"; s="${s//$'\r'/\\r}"
  printf '"%s"' "$s"
}
human() {
  local s="$1"
  if [ "$s" -lt 60 ]; then echo "${s}s"
  elif [ "$s" -lt 3600 ]; then echo "$((s / 60))m $((s % 60))s"
  else echo "$((s / 3600))h $((s % 3600 / 60))m"; fi
}
aws_cli() {
  retry timeout 900 aws --region "$region" ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} \
    --cli-connect-timeout 10 --cli-read-timeout 120 "$@"
}
last_line() { tr -s '\r\n' '\n\n' | grep -v '^[[:space:]]*$' | tail -n 1; }

# Retries of the AWS CLI's calls (the CLI itself tries each call AWS_MAX_ATTEMPTS times). The credentials of the
# instance profile cgrender gave the box are often refused for some seconds after it did (InvalidAccessKeyId,
# InvalidClientTokenId, ExpiredToken), and its policy is not applied at once (AccessDenied): such a refusal is waited
# out until credentials_wait seconds after the job started, and is final after that. Throttling, server errors and
# dropped connections are retried up to retry_attempts times. The pause between tries starts at retry_pause seconds
# and doubles, up to 30 s. Any other error (no such bucket, a rejected mail) is final at once.
credentials_wait="${CGRENDER_CREDENTIALS_WAIT:-180}"
retry_attempts="${CGRENDER_RETRY_ATTEMPTS:-4}"
retry_pause="${CGRENDER_RETRY_PAUSE:-1}"
exec 3>&1
# error_kind OUTPUT: credentials, transient or final
error_kind() {
  case "$1" in
    *InvalidAccessKeyId*|*InvalidClientTokenId*|*UnrecognizedClient*|*ExpiredToken*|*AccessDenied*|\
    *"Unable to locate credentials"*) echo credentials ;;
    *Throttl*|*SlowDown*|*RequestLimitExceeded*|*TooManyRequests*|*ServiceUnavailable*|*InternalError*|\
    *RequestTimeout*|*"An error occurred (50"[0-4]")"*|*"Could not connect"*|*"Connection was closed"*|\
    *"Read timeout"*|*"Connect timeout"*) echo transient ;;
    *) echo final ;;
  esac
}
# retry COMMAND…: COMMAND's output, once it succeeded or failed for good (its exit code then); progress to the log.
retry() {
  local out code kind attempt=1 pause="$retry_pause" why
  while true; do
    out="$("$@" 2>&1)"
    code=$?
    if [ "$code" -eq 0 ]; then
      printf '%s\n' "$out"
      return 0
    fi
    kind="$(error_kind "$out")"
    why="$(printf '%s\n' "$out" | last_line)"
    if [[ "$why" =~ An\ error\ occurred\ \(([^\)]*)\) ]]; then
      why="${why##*operation: }"
      why="${BASH_REMATCH[1]}: ${why##*): }"
    fi
    if [ "$kind" = credentials ] && [ "$(date -u +%s)" -lt $((started + credentials_wait)) ]; then
      say "waiting for the box's AWS credentials to become usable (${why}); next try in ${pause}s, at most until" \
        "$(iso $((started + credentials_wait)))" >&3
    elif [ "$kind" = transient ] && [ "$attempt" -lt "$retry_attempts" ]; then
      attempt=$((attempt + 1))
      say "AWS answered ${why}; try $attempt of $retry_attempts in ${pause}s" >&3
    else
      printf '%s\n' "$out"
      return "$code"
    fi
    sleep "$pause"
    pause="$(awk -v p="$pause" 'BEGIN { p *= 2; print (p > 30 ? 30 : p) }')"
  done
}

# store FILE KEY PUT_URL: FILE becomes s3://$bucket/KEY; prints why not on failure
store() {
  local out
  if [ "$mode" = presigned ]; then
    out="$(curl -sS --fail --connect-timeout 10 --max-time 900 -H "x-amz-expected-bucket-owner: $bucket_owner" \
      -T "$1" -o /dev/null "$3" 2>&1)" && return 0
  else
    # retry prints the final error on standard output: keep both streams (put-object's JSON is ignored on success)
    out="$(aws_cli s3api put-object --bucket "$bucket" --key "$2" --body "$1" \
      --expected-bucket-owner "$bucket_owner" 2>&1)" && return 0
  fi
  echo "${out:-exit $?}" | last_line
  return 1
}

failed=()
first_error=""
failure() {
  failed+=("$1")
  [ -n "$first_error" ] || first_error="$2"
  say "could not store $1 in $location: $2"
}
if [ "$mode" != presigned ] && ! command -v aws > /dev/null 2>&1; then
  failure "the results" "the AWS CLI (aws) is not installed on the box"
fi

# 1. The outputs of the targets that succeeded.
declare -A stored sha
outputs=""
mail_files=""
if [ ${#failed[@]} -eq 0 ]; then
  while IFS=$'\t' read -r name path exit_file put_url link; do
    [ -n "$name" ] || continue
    [ "$(cat "$HOME/$exit_file" 2>/dev/null)" = 0 ] && [ -f "$HOME/$path" ] || continue
    if err="$(store "$HOME/$path" "$prefix$name" "$put_url")"; then
      stored[$name]=1
      sum="$(sha256sum "$HOME/$path" | cut -d' ' -f1)"
      sha[$name]="$sum"
      size="$(stat -c %s "$HOME/$path")"
      outputs+="${outputs:+,}{\"name\":$(json "$name"),\"sha256\":\"$sum\",\"size\":$size,"
      outputs+="\"uri\":$(json "$location$name")}"
      mail_files+="  $name ($size bytes)"$'\n'"    $location$name"$'\n'"    $link"$'\n'
    else
      failure "$name" "$err"
    fi
  done < "$d/files.tsv"
fi

# 2. The manifest, once every output is stored: its presence in S3 says the job was delivered.
seconds=$((ended - started))
if [ -n "$hourly_price" ]; then
  usd="$(awk -v p="$hourly_price" -v s="$seconds" 'BEGIN { printf "%.6f", p * s / 3600 }')"
  cost="{\"usd\":$usd,\"hourly_usd\":$hourly_price,\"basis\":$(json "$price_basis")}"
  cost_text="\$$(awk -v u="$usd" 'BEGIN { printf "%.4f", u }') ($instance_type at \$$hourly_price/h: $price_basis)"
else
  cost="{\"usd\":null,\"basis\":$(json "$price_basis")}"
  cost_text="unknown ($price_basis)"
fi
if [ ${#failed[@]} -eq 0 ]; then
  {
    cat "$d/manifest-head.json"
    printf ',"instance_type":%s,"region":%s,"started":"%s","ended":"%s","duration_seconds":%d,"exit_code":%d' \
      "$(json "$instance_type")" "$(json "$region")" "$(iso "$started")" "$(iso "$ended")" "$seconds" "$code"
    printf ',"interrupted":%s' "$(if [ -n "$interrupted_at" ]; then echo true; else echo false; fi)"
    if [ -n "$interrupted_at" ]; then printf ',"interrupted_at":%s' "$(json "$interrupted_at")"; fi
    printf ',"estimated_cost":%s,"outputs":[%s],"log":%s,"location":%s,"box_access":%s,"email":%s}\n' \
      "$cost" "$outputs" "$(json "${location}render.log")" "$(json "$location")" "$(json "$mode")" \
      "$(if [ -n "$email_to" ]; then json "$email_to"; else echo null; fi)"
  } > "$d/manifest.json"
  err="$(store "$d/manifest.json" "${prefix}manifest.json" "$manifest_put_url")" || failure manifest.json "$err"
fi

# 3. The render-cache entries whose files are all stored.
if [ ${#failed[@]} -eq 0 ]; then
  while IFS=$'\t' read -r index key exit_file put_url names; do
    [ -n "$index" ] || continue
    [ "$(cat "$HOME/$exit_file" 2>/dev/null)" = 0 ] || continue
    complete=1
    for n in $names; do [ -n "${stored[$n]:-}" ] || complete=0; done
    [ "$complete" = 1 ] || continue
    entry="$(cat "$d/cache-$index.json")"
    for n in $names; do entry="${entry//"@sha256:$n@"/${sha[$n]}}"; done
    printf '%s\n' "$entry" > "$d/cache-$index.json"
    err="$(store "$d/cache-$index.json" "$key" "$put_url")" || failure "the cache entry $key" "$err"
  done < "$d/cache.tsv"
fi

# 4. The mail.
if [ -n "$interrupted_at" ] && [ ${#failed[@]} -eq 0 ]; then
  subject="cgrender: $title interrupted: EC2 reclaimed the spot instance"
  outcome="was interrupted after $(human "$seconds"): EC2 reclaimed the spot instance $box_id at $interrupted_at."
  outcome+=" What had finished is stored below; render the rest again on an on-demand box."
elif [ "$code" -eq 0 ] && [ ${#failed[@]} -eq 0 ]; then
  subject="cgrender: $title rendered in $(human "$seconds")"
  outcome="rendered successfully in $(human "$seconds")."
elif [ ${#failed[@]} -eq 0 ]; then
  subject="cgrender: $title failed (exit $code)"
  outcome="failed with exit code $code after $(human "$seconds"); see render.log."
else
  subject="cgrender: $title could not be stored in S3"
  outcome="ended with exit code $code after $(human "$seconds"), but its results could not be stored in"
  outcome+=" $location: $first_error. The files are kept on the box $box_id in ~/${job#"$HOME"/}/ until it ends;"
  outcome+=" get them with: cgrender fetch $job_id"
fi
{
  echo "Subject: $subject"
  echo
  echo "$title: $outcome"
  echo
  echo "Job $job_id on box $box_id ($instance_type, $region), $(iso "$started") to $(iso "$ended")."
  echo "Estimated cost: $cost_text"
  if [ ${#failed[@]} -eq 0 ]; then
    echo
    echo "Results: $location"
    printf '%s' "$mail_files"
    echo "  render.log"$'\n'"    ${location}render.log"$'\n'"    $log_link"
    echo "  manifest.json"$'\n'"    ${location}manifest.json"$'\n'"    $manifest_link"
    echo
    echo "The download links are valid until $links_expire."
    echo "Download the results next to your model with: cgrender fetch $job_id"
  fi
} > "$d/mail.txt"
mail_state=none
if [ -n "$email_to" ]; then
  if [ "$mode" = presigned ]; then
    if [ ${#failed[@]} -eq 0 ]; then
      if err="$(store "$d/mail.txt" "${prefix}mail.txt" "$mail_put_url")"; then
        say "the mail to $email_to is sent by cgrender when it collects this job (the box has no credentials)"
        mail_state=client
      else
        failure mail.txt "$err"
      fi
    fi
  elif err="$(aws_cli ses send-email --from "$email_from" --to "$email_to" --subject "$subject" \
      --text "$(tail -n +3 "$d/mail.txt")" 2>&1)"; then
    say "mailed $email_to: $subject"
    mail_state=sent
  else
    say "could not mail $email_to: $(echo "$err" | last_line)"
    mail_state=failed
  fi
fi

# 5. The log, last, so that it says all of the above.
if [ ${#failed[@]} -eq 0 ]; then
  say "stored the results in $location"
  cp "$job/log" "$d/render.log"
  err="$(store "$d/render.log" "${prefix}render.log" "$log_put_url")" || failure render.log "$err"
fi

# 6. The working files go once everything is stored; otherwise they stay for whoever collects the job.
if [ ${#failed[@]} -eq 0 ]; then
  while IFS= read -r dir; do
    case "$dir" in
      .cgrender/*) rm -rf -- "${HOME:?}/$dir" ;;
    esac
  done < "$d/working.txt"
  say "removed the working files from the box"
  if [ -n "$interrupted_at" ]; then
    printf 'detail=interrupted: EC2 reclaimed the spot instance %s at %s; %s in %s; mail: %s\n' "$box_id" \
      "$interrupted_at" "what had finished is stored" "$location" "$mail_state" > "$job/detail"
  else
    printf 'detail=results stored in %s; mail: %s\n' "$location" "$mail_state" > "$job/detail"
  fi
  exit "$code"
fi
message="could not store the results in $location ($first_error); the working files are kept on the box in"
message+=" ~/${job#"$HOME"/}/out"
say "$message"
printf 'detail=%s\n' "$(echo "$message" | tr '\n' ' ')" > "$job/detail"
if [ "$code" -ne 0 ]; then exit "$code"; fi
exit 1
