#!/usr/bin/env bash
# Reach a stack's private Kubernetes API from a laptop through the SSM operator host
# (components/access.py): AWS Systems Manager forwards local port 443 to the API endpoint, and
# /etc/hosts points the endpoint's name at 127.0.0.1, so kubectl, helm and `pulumi up` use the
# kubeconfig unchanged (the certificate still matches the endpoint's name).
#
#   scripts/cluster-tunnel.sh STACK            # open the tunnel (Ctrl-C closes it and cleans up)
#
# Needs: the AWS CLI v2, the Session Manager plugin, credentials of an admin role of the stack,
# `pulumi` logged in to the stack's backend, and sudo (port 443 and /etc/hosts).
# The SSM document is AWS-StartPortForwardingSessionToRemoteHost (AWS Systems Manager User
# Guide, "Port forwarding to remote hosts").
set -euo pipefail

stack=${1:?usage: scripts/cluster-tunnel.sh STACK}
instance=$(pulumi stack output operatorAccessInstanceId --stack "$stack")
endpoint=$(pulumi stack output clusterEndpoint --stack "$stack")
region=$(pulumi stack output region --stack "$stack")
host=${endpoint#https://}
if [ -z "$instance" ] || [ "$instance" = "null" ]; then
  echo "stack $stack has no operator host: set groundwork:cluster.operatorAccess to ssm" >&2
  exit 2
fi

marker="# groundwork-cluster-tunnel $stack"
cleanup() { sudo sed -i.bak "/$marker\$/d" /etc/hosts; }
trap cleanup EXIT
echo "127.0.0.1 $host $marker" | sudo tee -a /etc/hosts >/dev/null

echo "forwarding https://$host -> $instance -> $host:443 (Ctrl-C to stop)"
sudo --preserve-env aws ssm start-session --region "$region" --target "$instance" \
  --document-name AWS-StartPortForwardingSessionToRemoteHost \
  --parameters "host=$host,portNumber=443,localPortNumber=443"
