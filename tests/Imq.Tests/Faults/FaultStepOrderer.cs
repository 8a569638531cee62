// Runs a test class's facts in the order of their [FaultStep(n)]: the cluster family shares one cluster
// between its facts (a cluster start is the most expensive thing the suite does), and its last step kills a
// node. Each fact still stands alone when run by itself: it only needs a cluster as the fixture starts it.
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Imq.Tests.Faults;

[AttributeUsage(AttributeTargets.Method)]
public sealed class FaultStepAttribute(int step) : Attribute
{
    public int Step => step;
}

public sealed class FaultStepOrderer : ITestCaseOrderer
{
    public const string TypeName = "Imq.Tests.Faults." + nameof(FaultStepOrderer);
    public const string AssemblyName = "Imq.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => StepOf(t));

    private static int StepOf(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(FaultStepAttribute).AssemblyQualifiedName!).FirstOrDefault() is { } step
            ? (int)step.GetConstructorArguments().First()
            : int.MaxValue;
}
