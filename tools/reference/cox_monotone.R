# Reference for tests/models/degenerate.test.ts: R survival's coxph on a small cohort whose binary
# covariate `treated` separates the events (every treated patient has an event before any untreated
# patient leaves the risk set), so the partial likelihood is monotone in its coefficient.
# Cross-check only; the project never needs R.   usage: Rscript tools/reference/cox_monotone.R > tests/fixtures/reference/cox_monotone.json
library(survival)
d <- data.frame(
  age = c(61, 47, 55, 70, 52, 66, 43, 58, 49, 64),
  treated = c(1, 1, 0, 0, 0, 0, 0, 0, 1, 0),
  time = c(2, 3, 4, 5, 6, 7, 8, 9, 1, 10),
  event = c(1, 1, 1, 0, 1, 0, 1, 1, 1, 0)
)
warn <- character(0)
fit <- withCallingHandlers(coxph(Surv(time, event) ~ age + treated, data = d, ties = "efron"),
  warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
censored <- coxph(Surv(time, 0 * event) ~ age + treated, data = d)
num <- function(x) formatC(x, digits = 15, format = "g")
cat(sprintf('{\n  "source": "R %s, survival %s: coxph(Surv(time, event) ~ age + treated, ties = \\"efron\\"), default coxph.control()",\n',
  paste(R.version$major, R.version$minor, sep = "."), as.character(packageVersion("survival"))))
cat(sprintf('  "data": {"age": [%s], "treated": [%s], "time": [%s], "event": [%s]},\n',
  paste(d$age, collapse = ", "), paste(d$treated, collapse = ", "), paste(d$time, collapse = ", "), paste(d$event, collapse = ", ")))
cat(sprintf('  "coefficients": [%s],\n  "loglik": [%s],\n  "iterations": %d,\n', paste(num(coef(fit)), collapse = ", "), paste(num(fit$loglik), collapse = ", "), fit$iter))
cat(sprintf('  "warning": "%s",\n', trimws(gsub("\\s+", " ", warn[1]))))
cat(sprintf('  "all_censored": {"coefficients_na": %s, "loglik": [%s]}\n}\n', tolower(as.character(all(is.na(coef(censored))))), paste(num(censored$loglik), collapse = ", ")))
