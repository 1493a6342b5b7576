// Stands in for `semver` in the Lambda bundles (see LAMBDA_BUNDLING.alias): the X-Ray SDK requires it only for its
// AWS SDK v2 patcher, which the rotator never calls (it captures SDK v3 clients). Saves 9 KB in every bundle.
exports.gte = function gte() {
  throw new Error('semver is not bundled: captureAWS (AWS SDK v2) is not supported in the rotator functions');
};
